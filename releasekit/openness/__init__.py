"""The Model Openness Framework (MOF): which of its 17 components a release holds, under which
licenses, and which of its three classes the release reaches."""
