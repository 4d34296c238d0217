"""The rank-and-grade formula: a documented sum, no black box.

Each criterion the job defines earns a fraction (0-1) of its weight:

| criterion      | weight | fraction                                                             | applies when          |
|----------------|--------|----------------------------------------------------------------------|-----------------------|
| must-haves     | 45     | must-have skills found in the resumes / must-have skills             | the job lists some    |
| nice-to-haves  | 15     | nice-to-have skills found / nice-to-have skills                      | the job lists some    |
| years          | 20     | min(1, years of experience / minimum years)                          | a minimum is set      |
| similarity     | 20     | (cosine(resume, job) - 0.15) / 0.45, clipped to 0-1                  | always (0: no resume) |
| location       | 10     | 1 when the candidate's location names the job's location             | on-site jobs          |

score = round(100 x earned / sum of the weights that apply); grade A >= 80, B >= 60, C >= 40, else D.

Inputs are only what the resume says about work (skills, years, the resume text with identity removed) and the
candidate's location for an on-site job: never name, email, phone, photo, age, EEO answers or tags."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

WEIGHTS = {"must_have": 45, "nice_to_have": 15, "years": 20, "similarity": 20, "location": 10}
SIMILARITY_FLOOR, SIMILARITY_SPAN = 0.15, 0.45
GRADES = ((80, "A"), (60, "B"), (40, "C"), (0, "D"))


@dataclass(frozen=True)
class Applicant:
    skills: list[str]
    years: float | None
    similarity: float | None  # best cosine of the candidate's resumes with the job; None without a resume
    location: str | None


@dataclass
class Grade:
    score: int
    grade: str
    reasons: list[str] = field(default_factory=list)
    breakdown: dict[str, Any] = field(default_factory=dict)


def grade(requirements: dict[str, Any], applicant: Applicant) -> Grade:
    """Score one application against the job's requirements."""
    have = {s.lower() for s in applicant.skills}
    earned: dict[str, float] = {}
    reasons: list[str] = []
    breakdown: dict[str, Any] = {}
    must = requirements.get("must_have_skills") or []
    if must:
        matched = [s for s in must if s.lower() in have]
        missing = [s for s in must if s.lower() not in have]
        earned["must_have"] = len(matched) / len(must)
        breakdown["must_have"] = {"matched": matched, "missing": missing}
        reasons.append(f"must-haves: {len(matched)} of {len(must)}"
                       + (f" (has {', '.join(matched)})" if matched else "") + (f"; missing {', '.join(missing)}" if missing else ""))
    nice = requirements.get("nice_to_have_skills") or []
    if nice:
        matched = [s for s in nice if s.lower() in have]
        earned["nice_to_have"] = len(matched) / len(nice)
        breakdown["nice_to_have"] = {"matched": matched}
        reasons.append(f"nice-to-haves: {len(matched)} of {len(nice)}" + (f" ({', '.join(matched)})" if matched else ""))
    minimum = requirements.get("min_years")
    if minimum:
        years = applicant.years or 0.0
        earned["years"] = min(1.0, years / minimum)
        breakdown["years"] = {"required": minimum, "found": applicant.years}
        reasons.append(f"experience: {applicant.years:g} years for {minimum:g} asked" if applicant.years is not None
                       else f"experience: not found in a resume ({minimum:g} years asked)")
    similarity = None if applicant.similarity is None else round(applicant.similarity, 3)
    earned["similarity"] = 0.0 if similarity is None else min(1.0, max(0.0, (similarity - SIMILARITY_FLOOR) / SIMILARITY_SPAN))
    breakdown["similarity"] = similarity
    reasons.append("no resume to compare with the job" if similarity is None
                   else f"resume matches the job description: similarity {similarity:.2f}")
    place = requirements.get("location")
    if place and not requirements.get("remote"):
        ok = located_in(applicant.location, place)
        earned["location"] = 1.0 if ok else 0.0
        breakdown["location"] = {"required": place, "matched": ok}
        reasons.append(f"location: {'in' if ok else 'not in'} {place}")
    total = sum(WEIGHTS[k] for k in earned)
    score = round(100 * sum(WEIGHTS[k] * f for k, f in earned.items()) / total) if total else 0
    return Grade(score=score, grade=next(g for floor, g in GRADES if score >= floor), reasons=reasons,
                 breakdown=breakdown)


def located_in(where: str | None, place: str) -> bool:
    """Whether a free-text location names the job's place (its first part: `Berlin` of `Berlin, Germany`)."""
    city = place.split(",")[0].strip().lower()
    return bool(where and city and re.search(rf"\b{re.escape(city)}\b", where.lower()))
