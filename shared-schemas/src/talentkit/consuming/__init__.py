"""The parts of the parallel consumer (`talentkit.consumer`): per-key work queues, per-partition offsets, the
outage circuit and the processed-events table."""
