"""Campaign: one reporting round.

Takes a plan, a roster, a period and a deadline; hands on a campaign folder (``campaign.yaml``, its secret,
the frozen plan and roster, ``outbox/``, ``inbox/``, ``reports/``) that every later step opens.
"""
