"""Operations: dead letters (inspect, replay, discard) and runtime changes to the field policy."""
