"""The conformance runner: reads ../shared/conformance/fixtures/ at run time,
builds each fixture's app with Squall's public API, serves it for real and
judges the replies (see README.md here and the fixtures' own README)."""
