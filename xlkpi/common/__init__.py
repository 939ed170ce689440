"""Helpers every stage uses: Vietnamese text, atomic output files, LibreOffice."""
