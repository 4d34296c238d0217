"""Engagement settings (env prefix `CRM_ENGAGEMENT_`)."""
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngagementSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_ENGAGEMENT_", extra="ignore")

    weight_open: float = 1.0
    weight_click: float = 3.0
    weight_reply: float = 8.0
    weight_page_visit: float = 2.0
    half_life_days: float = Field(14.0, gt=0)
    warm_threshold: float = 3.0
    hot_threshold: float = 10.0
    alert_threshold: float = 10.0

    def weights(self) -> dict[str, float]:
        """Weight per activity kind of the timeline."""
        return {"message_opened": self.weight_open, "message_clicked": self.weight_click,
                "message_replied": self.weight_reply, "page_visit": self.weight_page_visit}


def engagement_settings(app: Any) -> EngagementSettings:
    """The app's engagement settings (`app.state.engagement_settings`), read from the environment once."""
    if getattr(app.state, "engagement_settings", None) is None:
        app.state.engagement_settings = EngagementSettings()
    return app.state.engagement_settings  # type: ignore[no-any-return]
