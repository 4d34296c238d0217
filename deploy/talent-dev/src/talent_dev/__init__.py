"""The development kit of the talent platform: the local stack (`make run`), the pytest plugin and the test helpers
every suite shares. Never installed in a production image (deploy/Dockerfile installs talent-shared and a service)."""
