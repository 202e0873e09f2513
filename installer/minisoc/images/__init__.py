"""Locally built images: OpenSearch from Maven Central, the correlator from a host wheelhouse,
the feed server.

No container registry is needed: every input comes from Debian packages, Maven Central or PyPI.
"""
