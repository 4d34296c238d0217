"""`/v1/prospects`."""
from crm.prospects.schemas import ProspectCreate, ProspectRead, ProspectUpdate
from crm.prospects.service import prospects
from talentkit.profiles.routes import profile_router

router = profile_router(service=prospects, path="/v1/prospects", noun="prospect", tag="Prospects",
                        read_scope="crm:read", write_scope="crm:write", create_schema=ProspectCreate,
                        patch_schema=ProspectUpdate, out_schema=ProspectRead)
