"""Operations: dead letters (inspect, replay, discard)."""
