"""Generators for the pickle-safety tests: an opcode assembler, malicious and benign corpora.

Nothing here is a committed binary: every file is built by code, most of them opcode by opcode.
"""
