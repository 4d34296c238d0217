"""The start of a linked ATS candidate's latest resume, without who they are, for the prospect's embedding; the
gateway's resume flow carries it where the field policy (`resume_text`) allows."""
