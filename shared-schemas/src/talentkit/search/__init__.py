"""The recruiters' Boolean search language, shared by the ATS and the CRM: `query` parses it (a hand-written
recursive descent parser), `sql` compiles the tree to parameterised SQL over PostgreSQL full-text indexes."""
