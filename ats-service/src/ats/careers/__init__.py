"""The careers site: public, server-rendered job board and job pages (schema.org `JobPosting` JSON-LD), and the
apply form (resume read by `ats.resumes`, screening questions with knock-outs, talent-pool consent; the voluntary EEO
step after it is `ats.eeo.public`), with what a job's posting adds to
the job (address or remote, salary, closing date, questions) behind `/v1/jobs/{id}/posting`."""
