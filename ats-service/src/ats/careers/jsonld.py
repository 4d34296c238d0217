"""A job as schema.org `JobPosting` JSON-LD with every property Google for Jobs requires or recommends: title,
description, datePosted, validThrough, hiringOrganization, jobLocation (a PostalAddress) or TELECOMMUTE with
applicantLocationRequirements, employmentType, baseSalary (when set), identifier, directApply."""
from __future__ import annotations

import json
from typing import Any

from ats.careers.models import JobPosting
from ats.jobs.models import Job
from ats.jobs.postings import EMPLOYMENT_TYPES


def job_posting(job: Job, posting: JobPosting | None, *, company: str, company_url: str, page_url: str) -> dict[str, Any]:
    """The JSON-LD object of an open job's page."""
    out: dict[str, Any] = {
        "@context": "https://schema.org/", "@type": "JobPosting", "title": job.title,
        "description": job.description or job.title,
        "datePosted": (job.opened_at or job.created_at).date().isoformat(),
        "hiringOrganization": {"@type": "Organization", "name": company, "sameAs": company_url},
        "identifier": {"@type": "PropertyValue", "name": company, "value": str(job.id)},
        "url": page_url, "directApply": True, "totalJobOpenings": job.openings,
    }
    if employment := EMPLOYMENT_TYPES.get(job.employment_type or ""):
        out["employmentType"] = employment
    if posting and posting.valid_through:
        out["validThrough"] = posting.valid_through.isoformat()
    if posting and posting.remote:
        out["jobLocationType"] = "TELECOMMUTE"
        out["applicantLocationRequirements"] = [{"@type": "Country", "name": c} for c in posting.applicant_countries]
    if posting and (posting.locality or posting.street_address or posting.country):
        out["jobLocation"] = {"@type": "Place", "address": {"@type": "PostalAddress", **{k: v for k, v in {
            "streetAddress": posting.street_address, "addressLocality": posting.locality,
            "addressRegion": posting.region, "postalCode": posting.postal_code,
            "addressCountry": posting.country}.items() if v}}}
    elif job.location and not (posting and posting.remote):
        out["jobLocation"] = {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": job.location}}
    if posting and posting.salary_currency and (posting.salary_min is not None or posting.salary_max is not None):
        value: dict[str, Any] = {"@type": "QuantitativeValue", "unitText": posting.salary_unit or "YEAR"}
        if posting.salary_min is not None and posting.salary_max is not None and posting.salary_min != posting.salary_max:
            value |= {"minValue": float(posting.salary_min), "maxValue": float(posting.salary_max)}
        else:
            value["value"] = float(posting.salary_min if posting.salary_min is not None else posting.salary_max)  # type: ignore[arg-type]
        out["baseSalary"] = {"@type": "MonetaryAmount", "currency": posting.salary_currency, "value": value}
    return out


def script(data: dict[str, Any]) -> str:
    """The `<script type="application/ld+json">` element; `<` is escaped so no text can close the element."""
    return ('<script type="application/ld+json">'
            + json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            + "</script>")
