"""
The public API (/api/v1/): the published record and the published conversation, read-only, for
programs; its OpenAPI document and reference page; API keys. Above `dialogue`, below `spp_portal`.
"""
