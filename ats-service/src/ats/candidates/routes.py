"""`/v1/candidates`."""
from ats.candidates.schemas import CandidateCreate, CandidateRead, CandidateUpdate
from ats.candidates.service import candidates
from talentkit.profiles.routes import profile_router

router = profile_router(service=candidates, path="/v1/candidates", noun="candidate", tag="Candidates",
                        read_scope="ats:read", write_scope="ats:write", create_schema=CandidateCreate,
                        patch_schema=CandidateUpdate, out_schema=CandidateRead)
