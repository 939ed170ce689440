"""Make rounds with the release before the compact form: forms, filled returns, a ledger half collected."""
import json, random, shutil, sys
from datetime import datetime
from pathlib import Path
from xlkpi.campaign.folder import init_campaign, open_campaign
from xlkpi.collect.checks import CampaignView
from xlkpi.collect.run import collect
from xlkpi.forms import layout as F
from xlkpi.forms.generate import generate
from xlkpi.forms.simulate import fill_workbook, plausible_values

out = Path(sys.argv[1])
if out.exists(): shutil.rmtree(out)
CASES = {
    "lai-chau-2025": [("X1", "Xã Bình Lư", "xa"), ("X2", "Phường Tân Phong", "xa"), ("X3", "Xã Khổng Lào", "xa")],
    "phu-tho-2025": [("S1", "Sở Tư pháp", "so"), ("S2", "Sở Y tế", "so"), ("X1", "Xã Thanh Ba", "xa")],
}
for plan_id, units in CASES.items():
    base = out / plan_id
    base.mkdir(parents=True)
    roster = base / "don-vi.csv"
    roster.write_text("code,name,level\n" + "".join(f"{c},{n},{l}\n" for c, n, l in units), encoding="utf-8")
    init_campaign(base / "dot", plan=plan_id, period="2025-Q3", roster=roster, deadline="20/10/2025",
                  now=datetime(2025, 10, 1, 8, 0))
    campaign = open_campaign(base / "dot")
    view = CampaignView(campaign.id, campaign.plan, campaign.roster, campaign.secret, campaign.config.period,
                        campaign.target_year)
    expected = {}
    later = base / "tra-ve-sau"
    later.mkdir()
    for n, generated in enumerate(generate(campaign, jobs=1).files):
        layout, _ = view.layout(generated.unit)
        values = plausible_values(layout, random.Random(generated.unit.code), meet_targets=False)
        if n == 1:  # a return rejected: a target missed and no explanation
            miss = next(b for b in layout.blocks if b.indicator.measure.kind == "rate" and b.rule)
            values[F.cell_name(*miss.inputs[F.NUMERATOR])] = 0
            values[F.cell_name(*miss.inputs[F.DENOMINATOR])] = 40
            values.pop(F.cell_name(*miss.inputs[F.EXPLANATION]), None)
        data = fill_workbook(generated.path.read_bytes(), values)
        # the first return is collected by the old release; the others come after the upgrade
        target = (campaign.inbox if n == 0 else later) / generated.path.name
        target.write_bytes(data)
        expected[generated.unit.code] = {
            b.indicator.id: {role: values.get(F.cell_name(*cell)) for role, cell in b.inputs.items()}
            for b in layout.blocks}
    collect(campaign, jobs=1)
    (base / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
