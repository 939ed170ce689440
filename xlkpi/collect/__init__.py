"""Collect: the returned workbooks.

Takes the files in a campaign's inbox (xlsx, xls, ods, from any program); reads, identifies and checks each
one, and hands on the ledger: every file in exactly one state, its problems, and the clean values of the
accepted submissions; plus completeness, the collection report and the feedback copies.
"""
