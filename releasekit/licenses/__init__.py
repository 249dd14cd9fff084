"""License knowledge: identify a license text, map Hub ids to SPDX, judge what a release can carry."""
