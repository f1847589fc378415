"""The case file: the system of record of Vòng Tay.

Tables, the lifecycle of a case and of its support decisions, the identity vault, the audit
log, and the use cases that change them, each in one unit of work. The API and the flows call
`cases.service` and nothing deeper.
"""
