"""The careers site: public, server-rendered job board and job pages (schema.org `JobPosting` JSON-LD), and the
apply form (resume, screening questions with knock-outs, talent-pool consent), with what a job's posting adds to
the job (address or remote, salary, closing date, questions) behind `/v1/jobs/{id}/posting`."""
