"""Pipeline analytics computed from stage history."""
