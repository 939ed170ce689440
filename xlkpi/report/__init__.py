"""Report: from the ledger to the signed appendix.

Takes the accepted values in the ledger; hands on the rolled-up results (Σ numerators / Σ denominators,
judged against targets), the consolidated workbook in the official layout, its PDF, the long export and the
totals handed up to the next level.
"""
