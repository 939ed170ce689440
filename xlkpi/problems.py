"""Errors as data.

Every check in xlkpi yields :class:`Problem` objects: a stable kebab-case ``code``, a severity, where the
problem is (file, sheet, cell, key path, line, row) and a message in Vietnamese and English rendered from
the templates in :data:`CATALOGUE`.  A :class:`Report` collects them; the CLI prints a report as a table or
as JSON and exits with ``int(not report.valid)``.  The library raises a single exception type,
:class:`XlkpiError`, which carries problems too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Literal, NamedTuple

Severity = Literal["error", "warning"]


class Message(NamedTuple):
    vi: str
    en: str
    severity: Severity = "error"


# One entry per problem code.  Templates use str.format fields filled from the problem's context.
CATALOGUE: dict[str, Message] = {
    # -- files -------------------------------------------------------------------------------------
    "file-not-found": Message(
        "Không tìm thấy tệp. Hãy kiểm tra lại đường dẫn.",
        "File not found. Check the path.",
    ),
    "file-unreadable": Message(
        "Không đọc được tệp ({detail}). Hãy kiểm tra tệp có bị hỏng hoặc đang bị khóa không.",
        "The file cannot be read ({detail}). Check that it is not damaged or locked.",
    ),
    "file-format": Message(
        "Định dạng tệp không được hỗ trợ ({detail}). Hãy dùng tệp {expected}.",
        "Unsupported file format ({detail}). Use a {expected} file.",
    ),
    "output-exists": Message(
        "Tệp đã tồn tại. Hãy chọn tên khác hoặc dùng --force để ghi đè.",
        "The file already exists. Choose another name or use --force to overwrite it.",
    ),
    "outputs-exist": Message(
        "{count} tệp cần lập đã có sẵn trong thư mục ({names}). Không tệp nào bị ghi đè; dùng --force để lập lại.",
        "{count} of the files to write already exist in the folder ({names}). None was overwritten; use --force "
        "to write them again.",
    ),
    "output-unwritable": Message(
        "Không ghi được tệp ({detail}). Hãy kiểm tra quyền ghi của thư mục.",
        "Cannot write the file ({detail}). Check that the folder is writable.",
    ),
    # -- plan files: YAML ----------------------------------------------------------------------------
    "plan-not-found": Message(
        "Không có kế hoạch dựng sẵn mã '{name}' và cũng không có tệp nào như vậy. "
        "Các kế hoạch dựng sẵn: {known}. Hãy chạy 'xlkpi plans' để xem danh sách.",
        "No built-in plan '{name}' and no such file. Built-in plans: {known}. Run 'xlkpi plans' to list them.",
    ),
    "yaml-syntax": Message(
        "Tệp YAML sai cú pháp: {detail}. Hãy kiểm tra thụt lề, dấu hai chấm và dấu ngoặc kép.",
        "YAML syntax error: {detail}. Check indentation, colons and quotes.",
    ),
    "yaml-duplicate-key": Message(
        "Khóa '{key}' xuất hiện hai lần trong cùng một khối (lần đầu ở dòng {first_line}). "
        "Hãy xóa hoặc đổi tên một trong hai.",
        "Key '{key}' appears twice in the same mapping (first at line {first_line}). Remove or rename one.",
    ),
    "yaml-expansion": Message(
        "Các bí danh YAML (*tên) làm tệp kế hoạch nở ra quá {limit} giá trị, cách một tệp độc hại tự nhân bản; tệp "
        "không được đọc tiếp. Bí danh chỉ dùng để lặp lại một đoạn chữ; hãy viết đầy đủ thay cho bí danh lồng nhau.",
        "YAML aliases (*name) expand the plan file beyond {limit} values, the way a hostile file multiplies itself; "
        "it was not read further. Aliases are for repeating a piece of text; write nested ones out in full.",
    ),
    "yaml-too-large": Message(
        "Tệp kế hoạch quá lớn ({size} KB, giới hạn {limit} KB). Hãy kiểm tra lại đúng tệp kế hoạch.",
        "The plan file is too large ({size} KB, limit {limit} KB). Check that it is the right file.",
    ),
    "yaml-too-deep": Message(
        "Tệp kế hoạch lồng nhau quá {limit} cấp; định dạng kế hoạch không cần như vậy. Hãy kiểm tra thụt lề.",
        "The plan file nests deeper than {limit} levels, which the plan format never needs. Check the indentation.",
    ),
    "yaml-not-mapping": Message(
        "Tệp kế hoạch phải là một khối khóa: giá trị (mapping) ở cấp ngoài cùng.",
        "A plan file must be a mapping (key: value) at the top level.",
    ),
    # -- plan files: structure (from pydantic) -------------------------------------------------------
    "unknown-key": Message(
        "Khóa '{key}' không có trong định dạng của tệp này. Hãy kiểm tra lỗi chính tả; các khóa hợp lệ ở đây: {allowed}.",
        "Key '{key}' is not part of this file's format. Check the spelling; valid keys here: {allowed}.",
    ),
    "missing-key": Message(
        "Thiếu khóa bắt buộc '{key}'. Hãy bổ sung.",
        "Required key '{key}' is missing. Add it.",
    ),
    "wrong-type": Message(
        "Giá trị {value} không đúng kiểu: cần {expected}.",
        "Value {value} has the wrong type: expected {expected_en}.",
    ),
    "invalid-value": Message(
        "Giá trị {value} không hợp lệ: {detail}.",
        "Invalid value {value}: {detail_en}.",
    ),
    # -- plan files: meaning -------------------------------------------------------------------------
    "missing-target-text": Message(
        "Chỉ tiêu năm {year} thiếu văn bản chỉ tiêu ('text') đúng như bản in. "
        "Nếu bản in để trống, hãy ghi text: \"\".",
        "The {year} target has no printed text ('text'). If the printed cell is blank, write text: \"\".",
    ),
    "missing-target": Message(
        "Chỉ tiêu '{indicator}' thiếu mục tiêu cho năm {year} (kế hoạch khai báo các năm {years}). "
        "Nếu bản in để trống, hãy ghi {year}: {{text: \"\"}}.",
        "Indicator '{indicator}' has no target for {year} (the plan declares years {years}). "
        "If the printed cell is blank, write {year}: {{text: \"\"}}.",
    ),
    "rule-contradicts-text": Message(
        "Quy tắc đánh giá ({rule}) mâu thuẫn với văn bản chỉ tiêu \"{text}\": {detail}.",
        "The rule ({rule}) contradicts the target text \"{text}\": {detail_en}.",
    ),
    "rule-floor-not-in-row": Message(
        "Quy tắc có mức sàn {floor} và nói mức sàn in ở '{source}' của chỉ tiêu, nhưng ở đó ghi mức sàn {stated}. "
        "Hãy sửa cho khớp với bản in (vd. \"(Lưu ý: tỷ lệ b/a phải đạt tối thiểu 95%)\").",
        "The rule has a floor of {floor} printed in the indicator's '{source}', but that text states {stated}. "
        "Make them agree with the printed appendix.",
    ),
    "rule-floor-in-without-floor": Message(
        "floor_in: {source} chỉ dùng khi quy tắc có mức sàn (floor). Hãy thêm floor hoặc bỏ floor_in.",
        "floor_in: {source} needs the rule to have a floor. Add floor or remove floor_in.",
    ),
    "texts-unknown-column": Message(
        "'{key}' không phải là mã của cột nào có shows: text trong kế hoạch (các cột đó: {known}). Hãy ghi đúng mã cột.",
        "'{key}' is not the key of a column with shows: text (those columns: {known}). Use the column's key.",
    ),
    "emphasis-not-found": Message(
        "Đoạn in nghiêng \"{passage}\" không có trong tên hay ghi chú của chỉ tiêu. Hãy chép đúng đoạn chữ như in.",
        "The italic passage \"{passage}\" is not in the indicator's name or note. Copy it exactly as printed.",
    ),
    "rule-invalid": Message(
        "Quy tắc đánh giá không hợp lệ: {detail}.",
        "Invalid rule: {detail_en}.",
    ),
    "duplicate-id": Message(
        "Mã '{id}' bị trùng (đã dùng ở {first}). Mỗi {what} phải có mã riêng.",
        "Duplicate id '{id}' (already used at {first}). Each {what_en} needs its own id.",
    ),
    "unknown-year": Message(
        "Năm {year} không nằm trong danh sách năm của kế hoạch ({years}). "
        "Hãy thêm năm vào 'years' hoặc sửa lại năm.",
        "Year {year} is not among the plan's years ({years}). Add it to 'years' or correct it.",
    ),
    "column-needs-year": Message(
        "Cột '{key}' hiển thị '{shows}' nên phải có 'year'.",
        "Column '{key}' shows '{shows}' and so needs a 'year'.",
    ),
    "column-year-unused": Message(
        "Cột '{key}' hiển thị '{shows}', không dùng 'year'. Hãy bỏ khóa 'year'.",
        "Column '{key}' shows '{shows}', which takes no 'year'. Remove the 'year' key.",
    ),
    "missing-column": Message(
        "Kế hoạch cần một cột hiển thị '{shows}'.",
        "The plan needs a column that shows '{shows}'.",
    ),
    "unknown-level": Message(
        "Cấp '{level}' chưa được khai báo trong 'levels' của kế hoạch ({known}).",
        "Level '{level}' is not declared in the plan's 'levels' ({known}).",
    ),
    "unknown-unit-override": Message(
        "Mục tiêu riêng cho đơn vị '{unit}' dùng mã rỗng. Hãy ghi mã đơn vị chính thức.",
        "A per-unit target uses an empty unit code. Use the unit's official code.",
    ),
    "levels-disagree-with-agency": Message(
        "Cơ quan thực hiện \"{agency}\" nhắc tới {mentioned} nhưng chỉ tiêu lại giao cho {levels}. "
        "Hãy kiểm tra khóa 'levels' của chỉ tiêu.",
        "The implementing agency \"{agency}\" mentions {mentioned} but the indicator is given to {levels}. "
        "Check the indicator's 'levels'.",
        "warning",
    ),
    "target-judged-by-hand": Message(
        "Mục tiêu năm {year} \"{text}\" của chỉ tiêu {indicator} có con số nhưng không tự đánh giá được (so với "
        "một cơ sở khác, hoặc tăng/giảm so với một số liệu khác): phụ lục sẽ ghi \"Chưa đánh giá\" để người duyệt "
        "đánh giá. Muốn xlkpi tự đánh giá, hãy ghi quy tắc cho mục tiêu này (cột \"Quy tắc {year}\" của trang "
        "Chỉ tiêu, hoặc 'rule' trong tệp kế hoạch), ví dụ \">= 50\".",
        "Indicator {indicator}'s {year} target \"{text}\" prints a figure xlkpi cannot judge by itself (another "
        "base, or a change against another figure): the appendix will say \"Chưa đánh giá\" for a person to "
        "judge. To have it judged, give the target a rule (column \"Quy tắc {year}\", or 'rule'), e.g. \">= 50\".",
        "warning",
    ),
    "measure-incomplete": Message(
        "Chỉ tiêu đo bằng '{kind}' cần khóa '{key}' trong 'measure' (nhãn hiển thị cho người nhập liệu).",
        "A '{kind}' indicator needs '{key}' in its 'measure' (the label shown to the person filling it in).",
    ),
    "measure-placeholder": Message(
        "{what} của chỉ tiêu {indicator} vẫn là chữ tạm do lệnh nhập kế hoạch điền: \"{text}\". Phiếu gửi đi sẽ hỏi "
        "đúng câu này, nên hãy ghi điều đơn vị phải đếm (vd. \"Số hồ sơ giải quyết đúng hạn\") ở cột {what} của trang "
        "Chỉ tiêu, rồi kiểm tra lại.",
        "Indicator {indicator}'s {what} is still the placeholder 'plan import' wrote: \"{text}\". The forms would "
        "ask exactly that: write what units count (e.g. \"Số hồ sơ giải quyết đúng hạn\") in the {what} column of "
        "the Chỉ tiêu sheet, then check again.",
    ),
    "rollup-mismatch": Message(
        "Cách tổng hợp '{rollup}' không dùng được cho chỉ tiêu đo bằng '{kind}'. Dùng được: {allowed}.",
        "Roll-up '{rollup}' does not apply to a '{kind}' indicator. Allowed: {allowed}.",
    ),
    "rule-needs-number": Message(
        "Chỉ tiêu đo bằng '{kind}' không so sánh được với một con số; hãy bỏ quy tắc ('rule') hoặc đổi cách đo.",
        "A '{kind}' indicator cannot be compared with a number; remove the rule or change the measure.",
    ),
    "no-indicators": Message(
        "Kế hoạch chưa có chỉ tiêu nào.",
        "The plan has no indicators.",
    ),
    "indicators-and-sections": Message(
        "Chỉ dùng một trong hai: 'indicators' (danh sách phẳng) hoặc 'sections' (chia mục).",
        "Use either 'indicators' (a flat list) or 'sections', not both.",
    ),
    "no-reporting-level": Message(
        "Chỉ tiêu không được giao cho cấp nào ('levels' rỗng).",
        "The indicator is given to no level ('levels' is empty).",
    ),
    # -- rosters -------------------------------------------------------------------------------------
    "roster-missing-column": Message(
        "Danh sách đơn vị thiếu cột '{column}' (có thể đặt tên: {names}).",
        "The roster has no '{column}' column (accepted headers: {names}).",
    ),
    "roster-unknown-column": Message(
        "Cột '{column}' không được dùng và sẽ bị bỏ qua.",
        "Column '{column}' is not used and will be ignored.",
        "warning",
    ),
    "roster-empty": Message(
        "Danh sách đơn vị không có dòng nào.",
        "The roster has no rows.",
    ),
    "roster-missing-value": Message(
        "Dòng {row} thiếu '{column}'. Hãy điền giá trị.",
        "Row {row} has no '{column}'. Fill it in.",
    ),
    "roster-duplicate-code": Message(
        "Mã đơn vị '{code}' bị trùng (đã có ở dòng {first_row}). Mỗi đơn vị phải có mã riêng.",
        "Unit code '{code}' is duplicated (first at row {first_row}). Each unit needs its own code.",
    ),
    "roster-bad-code": Message(
        "Mã đơn vị '{code}' không dùng được: {detail}. Mã chỉ gồm chữ, số và các dấu - _ . (như mã ĐVHC 03388); "
        "hãy sửa lại.",
        "Unit code '{code}' cannot be used: {detail_en}. A code holds letters, digits and - _ . only (like the "
        "official code 03388); correct it.",
    ),
    "roster-unknown-parent": Message(
        "Đơn vị cấp trên '{parent}' không có trong danh sách. Hãy thêm đơn vị đó hoặc sửa mã.",
        "Parent unit '{parent}' is not in the roster. Add it or correct the code.",
    ),
    "roster-cycle": Message(
        "Quan hệ cấp trên bị vòng lặp: {cycle}. Hãy sửa cột đơn vị cấp trên.",
        "The parent relation has a cycle: {cycle}. Correct the parent column.",
    ),
    "roster-unknown-level": Message(
        "Cấp '{level}' không có trong kế hoạch '{plan}' (các cấp: {known}).",
        "Level '{level}' is not in plan '{plan}' (levels: {known}).",
    ),
    # -- campaigns and periods --------------------------------------------------------------------------
    "period-invalid": Message(
        "Kỳ báo cáo '{value}' không đúng dạng. Hãy ghi 2025-10 (tháng), 2025-Q3 (quý), 2025-H1 hoặc "
        "2025-H2 (6 tháng), 2025-9M (9 tháng) hoặc 2025 (năm).",
        "Period '{value}' is not understood. Write 2025-10 (month), 2025-Q3 (quarter), 2025-H1 or 2025-H2 "
        "(six months), 2025-9M (nine months) or 2025 (year).",
    ),
    "date-invalid": Message(
        "Ngày '{value}' không đúng dạng. Hãy ghi theo dạng 20/10/2025 hoặc 2025-10-20.",
        "Date '{value}' is not understood. Write it as 20/10/2025 or 2025-10-20.",
    ),
    "campaign-exists": Message(
        "Thư mục này đã có một đợt báo cáo (campaign.yaml). Hãy chọn thư mục khác; không ghi đè đợt cũ.",
        "This folder already holds a campaign (campaign.yaml). Choose another folder; a campaign is never "
        "overwritten.",
    ),
    "campaign-not-found": Message(
        "Không tìm thấy đợt báo cáo (tệp campaign.yaml). Hãy chạy lệnh trong thư mục đợt báo cáo, dùng "
        "--campaign THƯ_MỤC, hoặc tạo đợt mới bằng 'xlkpi init'.",
        "No campaign here (no campaign.yaml). Run the command inside a campaign folder, use --campaign DIR, "
        "or create one with 'xlkpi init'.",
    ),
    "campaign-secret-missing": Message(
        "Thiếu tệp khóa bí mật của đợt báo cáo. Không thể tạo hoặc kiểm tra dấu xác thực của các tệp. "
        "Hãy khôi phục tệp này từ bản sao lưu của thư mục đợt báo cáo.",
        "The campaign's secret key file is missing, so workbook digests can be neither made nor checked. "
        "Restore it from a backup of the campaign folder.",
    ),
    "unit-unknown": Message(
        "Mã đơn vị '{code}' không có trong danh sách đơn vị của đợt báo cáo.",
        "Unit code '{code}' is not in the campaign's roster.",
    ),
    "unit-no-indicators": Message(
        "Đơn vị '{code}' ({name}, cấp '{level}') không phải báo cáo chỉ tiêu nào của kế hoạch này.",
        "Unit '{code}' ({name}, level '{level}') reports no indicator of this plan.",
    ),
    "nothing-to-generate": Message(
        "Không có đơn vị nào phải báo cáo: {detail}.",
        "No unit has anything to report: {detail_en}.",
    ),
    "libreoffice-missing": Message(
        "Chưa cài LibreOffice nên không chuyển đổi được tệp. Hãy cài LibreOffice (libreoffice.org; trên Linux gói "
        "libreoffice-calc) rồi chạy lại; nếu đã cài ở thư mục khác, đặt biến môi trường XLKPI_SOFFICE là đường dẫn "
        "của soffice.",
        "LibreOffice is not installed, so the file cannot be converted. Install it (libreoffice.org; on Linux the "
        "package libreoffice-calc) and run again; if it is installed elsewhere, set XLKPI_SOFFICE to soffice's path.",
    ),
    "libreoffice-failed": Message(
        "LibreOffice không chuyển đổi được tệp ({detail}).",
        "LibreOffice could not convert the file ({detail}).",
    ),
    "sign-pdf-unreadable": Message(
        "Không đọc được tệp PDF ({detail}). Hãy ký bản PDF do xlkpi consolidate --pdf lập, chưa qua chương trình nào "
        "khác.",
        "The PDF cannot be read ({detail}). Sign the PDF that xlkpi consolidate --pdf wrote, untouched by other programs.",
    ),
    "sign-block-missing": Message(
        "Không tìm thấy khối chữ ký \"{on_behalf} / {title}\" trong tệp PDF: chữ ký hiện ở đó. Hãy ký bản PDF do xlkpi "
        "consolidate --pdf lập cho đợt này (hoặc chỉ rõ đợt bằng --campaign).",
        "The signature block \"{on_behalf} / {title}\" is not in the PDF; the signature is placed there. Sign the PDF "
        "xlkpi consolidate --pdf wrote for this round (or name the round with --campaign).",
    ),
    "sign-pkcs12-unreadable": Message(
        "Không mở được tệp chứng thư số (PKCS#12): mật khẩu sai hoặc tệp không phải .p12/.pfx. Hãy kiểm tra mật khẩu "
        "(biến môi trường XLKPI_SIGN_PASSWORD) và tệp.",
        "The certificate file (PKCS#12) cannot be opened: a wrong password or not a .p12/.pfx file. Check the password "
        "(XLKPI_SIGN_PASSWORD) and the file.",
    ),
    "sign-pin-wrong": Message(
        "Mã PIN của token {token} không đúng. xlkpi không thử lại (token bị khóa sau 3 lần sai): hãy kiểm tra mã PIN "
        "rồi chạy lại lệnh.",
        "The PIN of token {token} is wrong. xlkpi does not try again (tokens lock after three wrong PINs): check the PIN "
        "and run the command again.",
    ),
    "sign-pin-locked": Message(
        "Token {token} đã bị khóa mã PIN. Hãy liên hệ đơn vị cấp chứng thư số (Ban Cơ yếu Chính phủ) để mở khóa.",
        "Token {token}'s PIN is locked. Ask the certificate's issuer (the Government Cipher Committee) to unlock it.",
    ),
    "sign-pkcs11-library": Message(
        "Không nạp được thư viện PKCS#11 của token ({detail}). Hãy chỉ đúng tệp thư viện đi kèm phần mềm của token "
        "(trên Windows thường là một tệp .dll trong C:\\Windows\\System32).",
        "The token's PKCS#11 library cannot be loaded ({detail}). Give the library that came with the token's software "
        "(on Windows usually a .dll in C:\\Windows\\System32).",
    ),
    "sign-token-missing": Message(
        "Không tìm thấy token {token} ({detail}). Hãy cắm token, kiểm tra nhãn (--token-label) rồi chạy lại.",
        "Token {token} was not found ({detail}). Plug the token in, check its label (--token-label) and run again.",
    ),
    "sign-key-missing": Message(
        "Không tìm thấy khóa hoặc chứng thư \"{label}\" trên token. Hãy kiểm tra nhãn (--key-label, --cert-label).",
        "No key or certificate \"{label}\" on the token. Check the labels (--key-label, --cert-label).",
    ),
    "sign-font-missing": Message(
        "Không tìm thấy phông chữ có dấu tiếng Việt để in chữ ký (đã tìm: {file}). Hãy đặt biến môi trường {env} là "
        "đường dẫn một tệp phông .ttf, ví dụ Times New Roman.",
        "No font with the Vietnamese letters was found for the visible signature (looked at: {file}). Set {env} to a "
        ".ttf font file, e.g. Times New Roman.",
    ),
    "sign-tsa-failed": Message(
        "Máy chủ dấu thời gian không trả lời đúng ({detail}). Hãy kiểm tra địa chỉ --tsa và mạng, hoặc ký không có "
        "dấu thời gian.",
        "The timestamp server did not answer properly ({detail}). Check the --tsa address and the network, or sign "
        "without a timestamp.",
    ),
    "sign-failed": Message(
        "Không ký được tệp ({detail}). Tệp gốc không bị thay đổi.",
        "The file could not be signed ({detail}). The original file is unchanged.",
    ),
    "sign-trust-unreadable": Message(
        "Tệp chứng thư CA không đọc được: cần một chứng thư X.509 dạng .pem, .cer hoặc .crt.",
        "The CA certificate file cannot be read: an X.509 certificate (.pem, .cer or .crt) is needed.",
    ),
    "sign-none": Message(
        "Tệp PDF không có chữ ký số nào.",
        "The PDF has no digital signature.",
    ),
    "reason-missing": Message(
        "Cần ghi lý do khi {action} (--reason \"…\"): lý do được lưu vào nhật ký và gửi cho đơn vị khi trả lại.",
        "A reason is required to {action} (--reason \"…\"): it is kept in the audit log and sent to the unit when "
        "a return is sent back.",
    ),
    "reason-too-long": Message(
        "Lý do dài quá {limit} ký tự. Hãy viết ngắn gọn hơn.",
        "The reason is longer than {limit} characters. Make it shorter.",
    ),
    "round-locked": Message(
        "Số liệu của đợt đã được chốt ({at}, {who}): không duyệt, trả lại hay chốt lại được nữa. Muốn sửa, lãnh đạo "
        "mở lại đợt: xlkpi reopen --reason \"…\".",
        "The round's figures were locked ({at}, {who}): nothing can be approved, returned or locked again. To change "
        "them, a leader reopens the round: xlkpi reopen --reason \"…\".",
    ),
    "round-not-locked": Message(
        "Đợt báo cáo chưa được chốt số liệu nên không có gì để mở lại.",
        "The round is not locked, so there is nothing to reopen.",
    ),
    "user-name-invalid": Message(
        "Tên đăng nhập '{name}' không dùng được: cần 2–40 ký tự, chỉ gồm chữ cái không dấu, chữ số, dấu chấm, gạch "
        "ngang hoặc gạch dưới (vd. nguyenvana).",
        "The user name '{name}' cannot be used: 2–40 characters of unaccented letters, digits, '.', '-' or '_' "
        "(e.g. nguyenvana).",
    ),
    "user-exists": Message(
        "Đã có tài khoản '{name}'. Đổi mật khẩu: xlkpi user password {name}; đổi vai trò: xlkpi user remove {name} "
        "rồi thêm lại.",
        "The account '{name}' exists. Change its password with xlkpi user password {name}; to change its role, "
        "remove it and add it again.",
    ),
    "user-unknown": Message(
        "Không có tài khoản '{name}' (xem: xlkpi user list).",
        "There is no account '{name}' (see xlkpi user list).",
    ),
    "password-too-short": Message(
        "Mật khẩu cần ít nhất {minimum} ký tự. Hãy chọn mật khẩu dài hơn (đặt biến XLKPI_PASSWORD hoặc nhập khi "
        "được hỏi).",
        "The password needs at least {minimum} characters (set XLKPI_PASSWORD or type it when asked).",
    ),
    "serve-no-port": Message(
        "Không mở được trang web ở {host}:{port}: {detail}. Cổng có thể đang được chương trình khác dùng; hãy chọn "
        "cổng khác bằng --port.",
        "Cannot serve on {host}:{port}: {detail}. Another program may use the port; choose another with --port.",
    ),
    "serve-no-users": Message(
        "Đợt báo cáo chưa có tài khoản nào để đăng nhập trang web. Hãy tạo trước: xlkpi user add TÊN --role "
        "officer (chuyên viên) hoặc --role leader (lãnh đạo).",
        "The round has no accounts to log in with. Add one first: xlkpi user add NAME --role officer or leader.",
    ),
    "audit-broken": Message(
        "Nhật ký của đợt không còn nguyên vẹn: {detail}. Hãy báo người phụ trách và khôi phục sổ từ bản sao lưu.",
        "The round's audit log is not intact: {detail}. Tell the person in charge and restore the ledger from a "
        "backup.",
    ),
    "demo-folder-in-use": Message(
        "Thư mục đã có dữ liệu không phải của demo; demo không ghi vào đây. Hãy chọn thư mục khác: xlkpi demo THƯ_MỤC.",
        "The folder holds files that are not the demo's; the demo does not write here. Choose another: "
        "xlkpi demo DIR.",
    ),
    # -- returned workbooks: the file ----------------------------------------------------------------------
    "file-empty": Message(
        "Tệp rỗng (0 byte). Hãy gửi lại tệp đã lưu đầy đủ.",
        "The file is empty (0 bytes). Send the fully saved file again.",
    ),
    "file-too-large": Message(
        "Tệp quá lớn ({size} KB, giới hạn {limit} KB). Hãy gửi đúng tệp nhập liệu đã được cấp.",
        "The file is too large ({size} KB, limit {limit} KB). Send the data-entry workbook you were given.",
    ),
    "file-too-large-media": Message(
        "Tệp quá lớn ({size} KB) vì có ảnh hoặc tệp chèn vào ({media} KB, ví dụ ảnh chụp màn hình). Hãy xóa ảnh "
        "khỏi phiếu (gửi ảnh minh chứng thành tệp riêng nếu cần), lưu lại và gửi lại.",
        "The file is too large ({size} KB) because of pictures or embedded files ({media} KB, a screenshot for "
        "instance). Delete them from the form (send evidence as a separate file if needed), save and resend.",
    ),
    "file-too-complex": Message(
        "Tệp bất thường ({detail}) nên không được mở, để bảo vệ máy. Hãy gửi đúng tệp nhập liệu đã được cấp.",
        "The file is abnormal ({detail}) and was not opened, to protect the machine. Send the workbook you were given.",
    ),
    "too-many-cells": Message(
        "Trang tính có quá nhiều ô ({count}, giới hạn {limit}). Hãy gửi đúng tệp nhập liệu đã được cấp.",
        "The sheet has too many cells ({count}, limit {limit}). Send the workbook you were given.",
    ),
    "file-corrupt": Message(
        "Tệp bị hỏng hoặc không đọc được ({detail}). Hãy mở lại tệp trên máy của đơn vị, lưu lại và gửi lại.",
        "The file is damaged or unreadable ({detail}). Open it on the unit's computer, save it again and resend.",
    ),
    "cell-outside-form": Message(
        "Ô {cell} có nội dung nhưng nằm ngoài biểu mẫu (biểu mẫu không vượt quá {rows} dòng và cột {columns}). "
        "Hãy xóa nội dung ô đó (hoặc nhập lại số liệu vào tệp gốc đã được cấp) rồi gửi lại.",
        "Cell {cell} has content but lies outside the form (forms stay within {rows} rows and column {columns}). "
        "Clear that cell (or enter the data again in the workbook you were given) and resend.",
    ),
    "cell-corrupt": Message(
        "Ô {cell} bị hỏng ({detail}); không chương trình bảng tính nào ghi như vậy. Hãy mở tệp bằng Excel hoặc "
        "LibreOffice, gõ lại giá trị ô này, lưu lại và gửi lại.",
        "Cell {cell} is damaged ({detail}); no spreadsheet program writes this. Open the file in Excel or "
        "LibreOffice, type the cell's value again, save and resend.",
    ),
    "xml-declarations": Message(
        "Phần {part} trong tệp có khai báo DOCTYPE/ENTITY, điều mà không chương trình bảng tính nào ghi; vì an "
        "toàn, tệp không được mở. Hãy mở tệp gốc bằng Excel hoặc LibreOffice, lưu lại dưới dạng .xlsx và gửi lại.",
        "Part {part} of the file declares a DOCTYPE or entities, which no spreadsheet program writes; for safety "
        "the file was not opened. Open the original in Excel or LibreOffice, save it as .xlsx and resend.",
    ),
    "zip-duplicate-member": Message(
        "Tệp chứa hai phần cùng tên ({part}); không chương trình bảng tính nào ghi như vậy nên không biết phần nào "
        "là thật. Hãy mở tệp gốc bằng Excel hoặc LibreOffice, lưu lại và gửi lại.",
        "The file holds two parts named {part}; no spreadsheet program writes this, so neither can be trusted. "
        "Open the original in Excel or LibreOffice, save it and resend.",
    ),
    "zip-unsafe-name": Message(
        "Tệp chứa một phần có tên không an toàn ({part}: đường dẫn tuyệt đối hoặc có '..'); tệp không được mở. "
        "Hãy gửi đúng tệp nhập liệu đã được cấp.",
        "The file holds a part with an unsafe name ({part}: an absolute path or '..'); it was not opened. "
        "Send the data-entry workbook you were given.",
    ),
    "unsupported-spreadsheet": Message(
        "Tệp là bảng tính {kind}, định dạng xlkpi không đọc. Hãy mở tệp bằng {program}, chọn Lưu thành (Save As) "
        "› Sổ làm việc Excel (.xlsx) rồi gửi lại tệp .xlsx.",
        "The file is a {kind} spreadsheet, a format xlkpi does not read. Open it in {program}, choose Save As › "
        "Excel Workbook (.xlsx) and send the .xlsx file.",
    ),
    "file-reader-failed": Message(
        "Không đọc được tệp: tệp có cấu trúc bất thường ({detail}). Hãy mở tệp bằng Excel hoặc LibreOffice, lưu lại "
        "dưới dạng .xlsx và gửi lại; nếu vẫn lỗi, hãy nhập lại số liệu vào tệp gốc đã được cấp.",
        "The file cannot be read: its structure is abnormal ({detail}). Open it in Excel or LibreOffice, save it as "
        ".xlsx and resend; if that fails, enter the data again in the workbook you were given.",
    ),
    "file-reader-crashed": Message(
        "Chương trình đọc tệp bị dừng khi mở tệp này ({detail}); các tệp khác vẫn được xử lý. Hãy mở tệp bằng Excel "
        "hoặc LibreOffice, lưu lại dưới dạng .xlsx và gửi lại.",
        "Reading this file stopped the reader ({detail}); the other files were processed. Open it in Excel or "
        "LibreOffice, save it as .xlsx and resend.",
    ),
    "file-timeout": Message(
        "Đọc tệp mất quá {limit} giây nên đã dừng; các tệp khác vẫn được xử lý. Tệp nhập liệu bình thường đọc trong "
        "chưa đầy một giây: hãy gửi đúng tệp nhập liệu đã được cấp.",
        "Reading the file took more than {limit} seconds and was stopped; the other files were processed. A normal "
        "data-entry workbook reads in well under a second: send the workbook you were given.",
    ),
    "bundle-member-encrypted": Message(
        "Tệp {member} trong tệp nén được đặt mật khẩu nên không đọc được. Hãy giải nén bằng mật khẩu đơn vị cung "
        "cấp và lưu tệp .xlsx vào thư mục inbox/, hoặc đề nghị đơn vị gửi lại tệp nén không đặt mật khẩu.",
        "{member} in the archive is protected by a password and cannot be read. Unpack it with the password the "
        "unit gives and save the .xlsx into inbox/, or ask the unit to resend the archive without a password.",
    ),
    "bundle-member-skipped": Message(
        "Phần {member} trong tệp nén không được đọc ({detail}).",
        "Member {member} of the archive was not read ({detail}).",
        "warning",
    ),
    "file-encrypted": Message(
        "Tệp được đặt mật khẩu mở nên không đọc được. Hãy bỏ mật khẩu mở tệp rồi gửi lại.",
        "The file is protected by an opening password. Remove the password and send it again.",
    ),
    "not-a-spreadsheet": Message(
        "Tệp không phải bảng tính Excel mà là {kind}, dù tên tệp có đuôi bảng tính. Hãy gửi đúng tệp Excel nhập liệu.",
        "The file is not a spreadsheet but {kind}, despite its name. Send the data-entry workbook.",
    ),
    "macro-present": Message(
        "Tệp có chứa macro (VBA); vì an toàn, tệp không được tiếp nhận. Hãy lưu lại dưới dạng .xlsx "
        "(không có macro) rồi gửi lại.",
        "The file contains macros (VBA) and, for safety, is not accepted. Save it as .xlsx (no macros) and resend.",
    ),
    "sheet-missing": Message(
        "Không có trang tính \"{sheet}\" (các trang có trong tệp: {found}). Trang tính đã bị đổi tên hoặc xóa; "
        "hãy nhập lại số liệu vào tệp gốc đã được cấp.",
        "There is no sheet \"{sheet}\" (sheets found: {found}). It was renamed or deleted; enter the data again "
        "in the workbook you were given.",
    ),
    # -- returned workbooks: identity ------------------------------------------------------------------
    "identity-missing": Message(
        "Tệp không mang mã nhận dạng của xlkpi (có thể số liệu đã được chép sang một tệp mới). Hãy nhập số "
        "liệu vào đúng tệp đã được cấp; hoặc cán bộ tổng hợp xác nhận đơn vị bằng --assign {name}=MÃ_ĐƠN_VỊ.",
        "The file carries no xlkpi identity (the data may have been copied into a new file). Enter the data in "
        "the workbook you were given; or the operator confirms the unit with --assign {name}=UNIT_CODE.",
    ),
    "identity-mismatch": Message(
        "Mã nhận dạng của tệp không thống nhất: '{field}' là {values}. Tệp đã bị chỉnh sửa; hãy dùng lại tệp gốc "
        "đã được cấp.",
        "The file's identity disagrees with itself: '{field}' is {values}. The file was edited; use the "
        "workbook you were given.",
    ),
    "digest-invalid": Message(
        "Dấu xác thực của tệp không đúng: tệp không được lập cho đơn vị '{unit}' trong đợt báo cáo này, hoặc "
        "phần nhận dạng đã bị sửa. Hãy dùng đúng tệp đã được cấp cho đơn vị.",
        "The file's digest is wrong: it was not made for unit '{unit}' in this campaign, or its identity was "
        "edited. Use the workbook given to the unit.",
    ),
    "wrong-campaign": Message(
        "Tệp thuộc đợt báo cáo khác ('{found}', đợt này là '{expected}'). Hãy gửi tệp của đợt báo cáo hiện tại.",
        "The file belongs to another campaign ('{found}'; this one is '{expected}'). Send this campaign's workbook.",
    ),
    "form-version-unknown": Message(
        "Tệp được lập theo mẫu phiếu phiên bản '{found}', phiên bản xlkpi đang dùng chỉ đọc được các phiên bản "
        "{known}. Hãy cập nhật xlkpi lên bản mới nhất rồi thu nhận lại.",
        "The workbook is form version '{found}'; this xlkpi reads versions {known}. Update xlkpi and collect "
        "again.",
    ),
    "wrong-plan": Message(
        "Tệp thuộc kế hoạch '{found}' (phiên bản {found_version}), không phải '{expected}' (phiên bản "
        "{expected_version}). Hãy dùng tệp nhập liệu của đợt báo cáo này.",
        "The file belongs to plan '{found}' (version {found_version}), not '{expected}' (version "
        "{expected_version}). Use this campaign's workbook.",
    ),
    "wrong-period": Message(
        "Tệp là báo cáo kỳ '{found}', không phải kỳ '{expected}'.",
        "The file reports period '{found}', not '{expected}'.",
    ),
    "unit-assigned": Message(
        "Đơn vị '{unit}' do cán bộ tổng hợp xác nhận (--assign), không theo mã nhận dạng của tệp.",
        "Unit '{unit}' was assigned by the operator (--assign), not read from the file's identity.",
        "warning",
    ),
    # -- returned workbooks: locked content ------------------------------------------------------------
    "locked-cell-changed": Message(
        "Ô đã khóa bị sửa: phải là \"{expected}\" nhưng là \"{found}\". Không được sửa {what}; hãy nhập vào tệp "
        "phản hồi (ô này đã được đặt lại) hoặc tệp gốc rồi gửi lại.",
        "A locked cell was changed: it must be \"{expected}\" but is \"{found}\". The {what_en} must not be "
        "edited; enter the data in the feedback copy (where the cell is restored) or the original workbook.",
    ),
    "target-tampered": Message(
        "Chỉ tiêu được giao của chỉ tiêu {number} đã bị sửa: phải là \"{expected}\" nhưng là \"{found}\". "
        "Không được sửa chỉ tiêu được giao; hãy nhập vào tệp phản hồi (chỉ tiêu đã được đặt lại) hoặc tệp gốc rồi "
        "gửi lại.",
        "The target of indicator {number} was changed: it must be \"{expected}\" but is \"{found}\". "
        "Targets must not be edited; enter the data in the feedback copy (where the target is restored) or the "
        "original workbook.",
    ),
    "rows-changed": Message(
        "Bảng nhập liệu đã bị thêm, xóa hoặc di chuyển dòng: ô này phải là \"{expected}\" nhưng là \"{found}\". "
        "Hãy nhập lại số liệu vào tệp gốc, không thêm hoặc xóa dòng.",
        "Rows of the form were inserted, deleted or moved: this cell must be \"{expected}\" but is "
        "\"{found}\". Enter the data in the original workbook without adding or deleting rows.",
    ),
    # -- returned workbooks: values ---------------------------------------------------------------------
    "value-missing": Message(
        "Chỉ tiêu {number}: chưa nhập {what}.",
        "Indicator {number}: {what_en} is not filled in.",
    ),
    "not-a-number": Message(
        "Chỉ tiêu {number}: \"{value}\" không phải là số. Hãy nhập một số, ví dụ 125.",
        "Indicator {number}: \"{value}\" is not a number. Enter a number, e.g. 125.",
    ),
    "ambiguous-number": Message(
        "Chỉ tiêu {number}: \"{value}\" không rõ là số nguyên hay số thập phân. Hãy gõ số không có dấu phân "
        "cách hàng nghìn (ví dụ 1234).",
        "Indicator {number}: \"{value}\" could be a whole number or a decimal. Type it without thousands "
        "separators (e.g. 1234).",
    ),
    "percent-sign": Message(
        "Chỉ tiêu {number}: \"{value}\" có dấu %; ô này cần một số lượng, không phải tỷ lệ.",
        "Indicator {number}: \"{value}\" has a % sign; this cell takes a count, not a percentage.",
    ),
    "not-whole-number": Message(
        "Chỉ tiêu {number}: {value} không phải số nguyên; {what} phải là số nguyên.",
        "Indicator {number}: {value} is not a whole number; {what_en} must be whole.",
    ),
    "negative-number": Message(
        "Chỉ tiêu {number}: {value} là số âm; {what} phải lớn hơn hoặc bằng 0.",
        "Indicator {number}: {value} is negative; {what_en} must be 0 or more.",
    ),
    "number-too-large": Message(
        "Chỉ tiêu {number}: {value} lớn bất thường (quá {limit}). Hãy kiểm tra lại số liệu.",
        "Indicator {number}: {value} is implausibly large (over {limit}). Check the figure.",
    ),
    "value-out-of-range": Message(
        "Chỉ tiêu {number}: tỷ lệ {value} nằm ngoài khoảng 0–100.",
        "Indicator {number}: the percentage {value} is outside 0–100.",
    ),
    "numerator-exceeds-denominator": Message(
        "Chỉ tiêu {number}: tử số {a} = {numerator} lớn hơn mẫu số {b} = {denominator}. Hãy kiểm tra lại; nếu "
        "không phát sinh, nhập 0 ở cả hai ô.",
        "Indicator {number}: the numerator {a} = {numerator} exceeds the denominator {b} = {denominator}. "
        "Check them; if nothing arose, enter 0 in both.",
    ),
    "invalid-choice": Message(
        "Chỉ tiêu {number}: \"{value}\" không hợp lệ; chỉ chọn Có hoặc Không.",
        "Indicator {number}: \"{value}\" is not allowed; choose Có or Không.",
    ),
    "date-in-number": Message(
        "Chỉ tiêu {number}: ô nhập liệu chứa ngày tháng ({value}) thay vì số. Hãy gõ lại số liệu (không phải ngày "
        "tháng) rồi gửi lại.",
        "Indicator {number}: the input cell holds a date ({value}) instead of a number. Type the figure again "
        "and resend.",
    ),
    "error-in-input": Message(
        "Chỉ tiêu {number}: ô nhập liệu chứa giá trị lỗi {value} thay vì số liệu. Hãy xóa ô và gõ lại số liệu "
        "(hoặc nội dung) rồi gửi lại.",
        "Indicator {number}: the input cell holds the error value {value} instead of data. Clear it, type the "
        "figure (or text) again and resend.",
    ),
    "formula-in-input": Message(
        "Chỉ tiêu {number}: ô nhập liệu chứa công thức. Hãy gõ trực tiếp số liệu (không dùng công thức) rồi gửi lại.",
        "Indicator {number}: the input cell holds a formula. Type the figure itself (no formula) and resend.",
    ),
    "text-too-long": Message(
        "Chỉ tiêu {number}: nội dung dài {length} ký tự, tối đa {limit}. Hãy rút gọn.",
        "Indicator {number}: the text is {length} characters long, at most {limit}. Shorten it.",
    ),
    "explanation-missing": Message(
        "Chỉ tiêu {number} chưa đạt ({result} so với chỉ tiêu {target}) nhưng chưa có giải trình. Bắt buộc ghi lý "
        "do và giải pháp ở cột ({column}), ô {cell}.",
        "Indicator {number} is not met ({result} against the target {target}) and has no explanation. An "
        "explanation is required in column ({column}), cell {cell}.",
    ),
    "ledger-version": Message(
        "Sổ theo dõi (ledger.sqlite) có định dạng phiên bản {found}, phiên bản xlkpi này dùng {expected}. Hãy dùng "
        "đúng phiên bản xlkpi đã tạo đợt báo cáo, hoặc đổi tên tệp sổ và chạy lại 'xlkpi collect' để lập sổ mới "
        "từ hộp thư đến.",
        "The ledger (ledger.sqlite) has format version {found}; this xlkpi uses {expected}. Use the xlkpi version "
        "that made the campaign, or rename the ledger and run 'xlkpi collect' again to rebuild it from the inbox.",
    ),
    "ledger-repaired": Message(
        "Sổ theo dõi có số liệu không hợp lệ của tệp này ({detail}), do phiên bản xlkpi cũ ghi. Số liệu đó đã bị loại "
        "khỏi sổ; tệp được đọc lại nếu còn trong thư mục inbox, nếu không hãy đề nghị đơn vị gửi lại.",
        "The ledger held invalid values for this file ({detail}), written by an older xlkpi. They were removed; "
        "the file is read again while it is still in the inbox, otherwise ask the unit to resend.",
    ),
    "indicator-unknown": Message(
        "Không có chỉ tiêu '{name}' trong kế hoạch. Các chỉ tiêu: {known}.",
        "No indicator '{name}' in the plan. The indicators: {known}.",
    ),
    "office-figure-not-needed": Message(
        "Chỉ tiêu {number} do các đơn vị trong đợt báo cáo này báo cáo; số liệu tổng hợp lấy từ báo cáo của họ, "
        "không nhập thay được.",
        "Indicator {number} is reported by units of this round; its result comes from their returns and cannot "
        "be entered instead.",
    ),
    "office-figure-invalid": Message(
        "Số liệu nhập cho chỉ tiêu {number} chưa đúng: {detail}.",
        "The figure entered for indicator {number} is not valid: {detail}.",
    ),
    "upper-plan-missing": Message(
        "Không có kế hoạch '{plan}' mà tệp của cấp trên dùng. Hãy chỉ ra tệp kế hoạch của cấp trên bằng "
        "--upper-plan TỆP (cấp trên gửi kèm, hoặc lấy từ thư mục đợt báo cáo của cấp trên).",
        "The upper level's plan '{plan}' is not available. Give its plan file with --upper-plan FILE.",
    ),
    "upper-workbook-unusable": Message(
        "Không điền được vào tệp nhập liệu của cấp trên ({detail}). Hãy dùng đúng tệp cấp trên đã gửi, chưa chỉnh sửa.",
        "Cannot fill in the upper level's workbook ({detail}). Use the file the upper level sent, unedited.",
    ),
    "assign-invalid": Message(
        "'{value}' không đúng dạng --assign TỆP=MÃ_ĐƠN_VỊ.",
        "'{value}' is not of the form --assign FILE=UNIT_CODE.",
    ),
    # -- plan workbooks ---------------------------------------------------------------------------------
    "plan-workbook-cell-outside": Message(
        "Ô {cell} có nội dung nhưng nằm ngoài phạm vi của kế hoạch ({rows} dòng, đến cột {columns}). Hãy xóa nội "
        "dung ô đó (Ctrl+End đưa tới ô cuối cùng có nội dung) rồi lưu lại.",
        "Cell {cell} has content but lies outside a plan's bounds ({rows} rows, up to column {columns}). Clear that "
        "cell (Ctrl+End goes to the last cell with content) and save again.",
    ),
    "plan-workbook-unreadable": Message(
        "Không mở được tệp kế hoạch dạng bảng tính ({detail}). Hãy lưu lại bằng Excel dưới dạng .xlsx, hoặc lập lại "
        "bằng 'xlkpi plan to-xlsx'.",
        "Cannot open the plan workbook ({detail}). Save it again from Excel as .xlsx, or make one with "
        "'xlkpi plan to-xlsx'.",
    ),
    "plan-workbook-sheet-missing": Message(
        "Tệp kế hoạch thiếu trang tính '{sheet}' (có: {sheets}). Đừng đổi tên hay xóa các trang của tệp do "
        "'xlkpi plan to-xlsx' lập.",
        "The plan workbook has no sheet '{sheet}' (it has: {sheets}). Do not rename or delete the sheets "
        "'xlkpi plan to-xlsx' writes.",
    ),
    "plan-workbook-key-unknown": Message(
        "Khóa '{key}' không có trong định dạng kế hoạch. Hãy giữ nguyên cột Khóa; chỉ sửa cột Giá trị.",
        "The key '{key}' is not part of the plan format. Keep the Key column as it is; edit the Value column only.",
    ),
    "plan-workbook-indicator-unknown": Message(
        "Không có chỉ tiêu mã '{id}' trong trang Chỉ tiêu. Hãy ghi đúng mã chỉ tiêu (cột Mã chỉ tiêu).",
        "No indicator '{id}' on the indicators sheet. Use the indicator's id (its Mã chỉ tiêu column).",
    ),
    "plan-workbook-override-who": Message(
        "Mỗi dòng mục tiêu riêng ghi hoặc một cấp, hoặc một mã đơn vị (không phải cả hai, không để trống cả hai).",
        "Each own-target row names either a level or a unit code (not both, not neither).",
    ),
    # -- plan import -------------------------------------------------------------------------------------
    "container-unsupported": Message(
        "Tệp là {kind}, xlkpi không mở được. Hãy {advice}.",
        "The file is a {kind}, which xlkpi does not open. Unpack or re-save it (WinRAR, 7-Zip, LibreOffice) and put "
        "the .xlsx files into inbox/, or ask the unit to send .xlsx files or a .zip.",
    ),
    "container-files-left-out": Message(
        "Chỉ xét {kept} tệp đính kèm đầu tiên; {count} tệp còn lại vượt giới hạn nên chưa được xét. Hãy lưu các tệp "
        "đó vào thư mục inbox/ rồi chạy lại collect.",
        "Only the first {kept} attached files were checked; {count} more exceed the limits and were not. Save them "
        "into inbox/ and run collect again.",
        "warning",
    ),
    "import-empty": Message(
        "Tệp {file} rỗng (0 byte). Hãy chọn tệp phụ lục đã được lưu đầy đủ.",
        "{file} is empty (0 bytes). Choose the appendix file as it was fully saved.",
    ),
    "import-encrypted": Message(
        "Tệp {file} được đặt mật khẩu mở nên không đọc được. Hãy mở bằng Word hoặc Excel, bỏ mật khẩu (Tệp › "
        "Thông tin › Bảo vệ tài liệu), lưu lại rồi nhập lại.",
        "{file} is protected by an opening password. Open it in Word or Excel, remove the password (File › Info › "
        "Protect), save it and import again.",
    ),
    "import-not-a-document": Message(
        "Tệp {file} không phải văn bản Word hay bảng tính mà là {kind}. Hãy nhập tệp phụ lục gốc (.docx, .doc, "
        ".odt, .xlsx, .xls, .ods); nếu chỉ có bản PDF, hãy mở bằng Word (Word chuyển được PDF) và lưu thành .docx.",
        "{file} is no Word or spreadsheet document but {kind}. Import the original appendix (.docx, .doc, .odt, "
        ".xlsx, .xls, .ods); if you only have a PDF, open it in Word (Word converts PDFs) and save it as .docx.",
    ),
    "import-unreadable": Message(
        "Không đọc được tệp {file}: tệp hỏng hoặc không đúng định dạng ({detail}). Hãy mở bằng Word, Excel hoặc "
        "LibreOffice, lưu lại dưới dạng .docx hoặc .xlsx rồi nhập lại.",
        "Cannot read {file}: it is damaged or not in the format it claims ({detail}). Open it in Word, Excel or "
        "LibreOffice, save it as .docx or .xlsx and import again.",
    ),
    "import-too-complex": Message(
        "Tệp {file} bất thường ({detail}) nên không được mở, để bảo vệ máy. Hãy mở tệp gốc bằng Word hoặc Excel, "
        "lưu lại dưới dạng .docx hoặc .xlsx rồi nhập lại.",
        "{file} is abnormal ({detail}) and was not opened, to protect the machine. Open the original in Word or "
        "Excel, save it as .docx or .xlsx and import again.",
    ),
    "import-format": Message(
        "Không nhập được tệp đuôi {suffix}: hãy dùng tệp Word (.docx, .doc, .odt) hoặc Excel (.xlsx, .xls, .ods) "
        "có bảng phụ lục.",
        "Cannot import a {suffix} file: use a Word (.docx, .doc, .odt) or Excel (.xlsx, .xls, .ods) file holding "
        "the appendix table.",
    ),
    "import-no-table": Message(
        "Không tìm thấy bảng phụ lục: cần một bảng có dòng tiêu đề với cột \"STT\" (hoặc \"Số TT\") và cột tên "
        "chỉ tiêu. Hãy kiểm tra tệp có đúng là phụ lục chỉ tiêu không.",
        "No appendix table found: it needs a header row with an \"STT\" (or \"Số TT\") column and an indicator "
        "name column. Check that the file holds the indicator appendix.",
    ),
    "import-table-missing": Message(
        "Tệp chỉ có {count} bảng phụ lục; không có bảng số {table}. Hãy chọn --table từ 1 đến {count}.",
        "The file holds {count} appendix tables; there is no table {table}. Choose --table 1 to {count}.",
    ),
    "import-no-name-column": Message(
        "Bảng không có cột tên chỉ tiêu (\"Tên chỉ tiêu\", \"Chỉ tiêu\", \"Nội dung\"). Hãy kiểm tra dòng tiêu đề.",
        "The table has no indicator name column (\"Tên chỉ tiêu\", \"Chỉ tiêu\", \"Nội dung\"). Check the header row.",
    ),
    "import-no-target-column": Message(
        "Bảng không có cột mục tiêu (\"Chỉ tiêu năm …\", \"Giao chỉ tiêu\", \"Mục tiêu\"…): đã nhập các chỉ tiêu với "
        "mục tiêu để trống cho năm {year}. Hãy ghi mục tiêu từng năm ở trang Chỉ tiêu của tệp kế hoạch (cột "
        "\"Mục tiêu {year}\") rồi chạy lại 'xlkpi plan check'.",
        "The table has no target column: the indicators were imported with blank targets for {year}. Write each "
        "year's targets in the plan's Chỉ tiêu sheet (column \"Mục tiêu {year}\") and run 'xlkpi plan check' again.",
        "warning",
    ),
    "import-year-guessed": Message(
        "Cột mục tiêu \"{header}\" không ghi năm, tiêu đề phía trên và tên phụ lục cũng không: tạm lấy năm {year} "
        "(theo {source}). Nếu sai, hãy nhập lại với --year NĂM hoặc sửa năm ở trang Cột của tệp kế hoạch.",
        "Target column \"{header}\" names no year, nor do the headers above it or the appendix's title: {year} was "
        "taken ({source}). If wrong, import again with --year YEAR, or correct the year in the plan's Cột sheet.",
        "warning",
    ),
    "import-column-unknown": Message(
        "Cột \"{header}\" không phải cột nào xlkpi biết: giữ nguyên như chữ in (shows: text). Nếu nó là một cột đã biết "
        "(vd. cơ quan thực hiện), hãy chọn lại ở trang Cột của tệp kế hoạch.",
        "Column \"{header}\" is none xlkpi knows: kept as printed text (shows: text). If it is a known one (e.g. "
        "the implementing agency), choose it on the plan workbook's Cột sheet.",
        "warning",
    ),
    "import-catalogue-guess": Message(
        "Chỉ tiêu \"{name}\" được đoán là chỉ tiêu \"{entry}\" của danh mục (giống {score}); tử số, mẫu số lấy theo "
        "danh mục. Hãy xem lại.",
        "Indicator \"{name}\" was taken to be the catalogue's \"{entry}\" ({score} alike); its numerator and "
        "denominator come from there. Review them.",
        "warning",
    ),
    "import-measure-guessed": Message(
        "Chỉ tiêu \"{name}\" không có trong danh mục chỉ tiêu: đoán là {kind}; nếu là tỷ lệ, hãy ghi rõ tử số và mẫu "
        "số.",
        "Indicator \"{name}\" is not in the catalogue: taken to be a {kind}; if it is a rate, write its numerator "
        "and denominator.",
        "warning",
    ),
    "import-levels-guessed": Message(
        "Cơ quan thực hiện \"{text}\" không nêu cấp đơn vị nào đã biết; tạm giao cho: {level}. Hãy xem lại cột "
        "Cấp báo cáo của chỉ tiêu này ở trang Chỉ tiêu (và trang Cấp báo cáo nếu cần thêm cấp).",
        "The implementing agency \"{text}\" names no known level of units; given to: {level} for now. Review this "
        "indicator's reporting levels (Chỉ tiêu sheet; add a level on the Cấp báo cáo sheet if needed).",
        "warning",
    ),
    "import-agency-part-unknown": Message(
        "Cơ quan thực hiện \"{text}\": phần \"{part}\" không ứng với cấp đơn vị nào đã biết (đã giao cho: {level}). "
        "Nếu phần đó cũng phải báo cáo, hãy thêm cấp của nó ở trang Cấp báo cáo và chọn ở cột Cấp báo cáo của chỉ "
        "tiêu này.",
        "Implementing agency \"{text}\": the part \"{part}\" matches no known level of units (given to: {level}). "
        "If it reports too, add its level on the Cấp báo cáo sheet and choose it for this indicator.",
        "warning",
    ),
    "import-levels-no-column": Message(
        "Bảng không có cột cơ quan thực hiện nên không biết ai báo cáo chỉ tiêu nào; theo cơ quan ban hành, tạm giao "
        "mọi chỉ tiêu cho: {level}. Hãy xem lại cột Cấp báo cáo ở trang Chỉ tiêu.",
        "The table has no implementing-agency column, so who reports what is unknown; by the issuing office, "
        "every indicator was given to: {level} for now. Review the reporting levels on the Chỉ tiêu sheet.",
        "warning",
    ),
    "import-no-appendix-heading": Message(
        "Không thấy dòng \"Phụ lục\" trước bảng; tên phụ lục được lấy từ các dòng chữ in hoa gần nhất. Hãy xem lại "
        "trang Kế hoạch.",
        "No \"Phụ lục\" line before the table; the title was taken from the nearest capitalised lines. Review the "
        "Kế hoạch sheet.",
        "warning",
    ),
    "import-issuer-missing": Message(
        "Không thấy tên cơ quan ban hành (\"ỦY BAN NHÂN DÂN …\"). Hãy ghi vào document.issuer.",
        "The issuing body (\"ỦY BAN NHÂN DÂN …\") was not found. Fill in document.issuer.",
        "warning",
    ),
    # -- divisions -----------------------------------------------------------------------------------
    "province-not-found": Message(
        "Không tìm thấy tỉnh, thành phố '{query}'. Hãy ghi tên (có hoặc không dấu) hoặc mã 2 chữ số; "
        "ví dụ: 'lai chau' hoặc '12'.",
        "No province or city '{query}'. Give its name (with or without diacritics) or its 2-digit code, "
        "e.g. 'lai chau' or '12'.",
    ),
    # -- mail ----------------------------------------------------------------------------------------
    "mail-not-configured": Message(
        "Chưa có hộp thư của cơ quan: hãy thêm khối 'mail:' vào campaign.yaml (địa chỉ, máy chủ smtp/imap; "
        "xem mẫu ở cuối tệp và mục \"Gửi, nhận qua thư điện tử\" trong README).",
        "The office's mailbox is not set: add a 'mail:' block to campaign.yaml (address, smtp/imap server; see the "
        "example at the end of the file and the README's mail section).",
    ),
    "mail-server-missing": Message(
        "campaign.yaml chưa có máy chủ thư '{kind}' trong khối 'mail:' (host, port, security, user). Hãy thêm vào.",
        "campaign.yaml has no '{kind}' server in its 'mail:' block (host, port, security, user). Add it.",
    ),
    "mail-password-missing": Message(
        "Chưa có mật khẩu hộp thư {user}: hãy đặt biến môi trường {env} hoặc chạy 'xlkpi mail password' để lưu "
        "vào kho mật khẩu của máy. xlkpi không ghi mật khẩu vào tệp nào.",
        "No password for the mailbox {user}: set the environment variable {env} or run 'xlkpi mail password' to "
        "store it in the system keyring. xlkpi never writes it to a file.",
    ),
    "mail-attachment-unsaved": Message(
        "Không lưu được tệp đính kèm \"{name}\" của thư từ {sender} ({detail}). Thư này chưa được ghi nhận và sẽ "
        "được lấy lại ở lần chạy fetch sau; nếu lỗi lặp lại, hãy lưu tệp từ hộp thư bằng tay vào inbox/.",
        "Could not save the attachment \"{name}\" of the message from {sender} ({detail}). The message is not "
        "recorded and will be fetched again next time; if this repeats, save the file by hand into inbox/.",
    ),
    "mail-attachments-left-out": Message(
        "Thư từ {sender} (\"{subject}\") có quá nhiều tệp đính kèm: đã lưu {kept}, còn {count} tệp chưa lưu. Hãy "
        "lưu các tệp còn lại từ hộp thư vào inbox/ bằng tay.",
        "The message from {sender} (\"{subject}\") has too many attachments: {kept} saved, {count} not. Save the "
        "rest from the mailbox into inbox/ by hand.",
        "warning",
    ),
    "mail-keyring-missing": Message(
        "Không lưu được mật khẩu vào kho mật khẩu của máy ({detail}). Hãy cài gói keyring "
        "(pip install 'xlkpi[mail]') hoặc dùng biến môi trường XLKPI_MAIL_PASSWORD.",
        "Cannot store the password in the system keyring ({detail}). Install keyring (pip install 'xlkpi[mail]') "
        "or use the XLKPI_MAIL_PASSWORD environment variable.",
    ),
    "mail-connect-failed": Message(
        "Không kết nối được máy chủ thư {server} ({detail}). Hãy kiểm tra tên máy chủ, cổng, kiểu bảo mật "
        "(security) trong campaign.yaml và kết nối mạng.",
        "Cannot connect to the mail server {server} ({detail}). Check the host, port and security in "
        "campaign.yaml, and the network.",
    ),
    "mail-login-failed": Message(
        "Máy chủ thư {server} không chấp nhận đăng nhập của {user} ({detail}). Hãy kiểm tra tên đăng nhập và "
        "mật khẩu.",
        "The mail server {server} refused the login of {user} ({detail}). Check the user name and password.",
    ),
    "mail-template-invalid": Message(
        "Mẫu thư {path} trong campaign.yaml không dùng được: {detail}. Các trường dùng được, viết trong ngoặc "
        "nhọn: {known}.",
        "The mail template {path} in campaign.yaml cannot be used: {detail}. Fields, written in braces: {known}.",
    ),
    "mail-no-address": Message(
        "Đơn vị {code} — {name} chưa có địa chỉ thư điện tử (cột Liên hệ của danh sách đơn vị): không gửi được. "
        "Hãy thêm địa chỉ vào danh sách đơn vị của đợt (roster.csv).",
        "Unit {code} — {name} has no e-mail address (the roster's contact column): nothing sent. Add one to the "
        "campaign's roster.csv.",
        "warning",
    ),
    "mail-no-workbook": Message(
        "Chưa có tệp nhập liệu của đơn vị {code} — {name}: hãy chạy 'xlkpi generate' trước.",
        "No data-entry workbook for unit {code} — {name}: run 'xlkpi generate' first.",
        "warning",
    ),
    "mail-no-feedback": Message(
        "Chưa có tệp phản hồi của đơn vị {code} — {name}: hãy chạy 'xlkpi collect' để lập lại các tệp phản hồi.",
        "No feedback copy for unit {code} — {name}: run 'xlkpi collect' to write the feedback copies.",
        "warning",
    ),
    "mail-refused": Message(
        "Máy chủ thư từ chối thư gửi đơn vị {code} — {name} ({detail}). Hãy kiểm tra địa chỉ trong danh sách "
        "đơn vị rồi chạy lại; các thư khác đã gửi.",
        "The mail server refused the message to unit {code} — {name} ({detail}). Check the roster's address and "
        "run again; the other messages were sent.",
    ),
    "mail-interrupted": Message(
        "Kết nối tới máy chủ thư bị ngắt sau {sent}/{total} thư ({detail}). Các thư đã gửi được ghi lại; chạy lại "
        "lệnh để gửi phần còn lại.",
        "The connection to the mail server broke after {sent} of {total} messages ({detail}). Those sent are "
        "recorded; run the command again to send the rest.",
    ),
    "mail-interrupted-fetch": Message(
        "Kết nối tới hộp thư bị ngắt ({detail}) sau khi đã lưu {saved} tệp. Các thư đã lấy được ghi lại; chạy lại "
        "'xlkpi fetch' để lấy tiếp.",
        "The connection to the mailbox broke ({detail}) after {saved} files were saved. Those are recorded; run "
        "'xlkpi fetch' again to go on.",
    ),
    "mail-folder-missing": Message(
        "Không mở được thư mục '{folder}' của hộp thư ({detail}). Hãy kiểm tra tên thư mục (mail.imap.folder "
        "hoặc --folder).",
        "Cannot open the mailbox folder '{folder}' ({detail}). Check the folder name (mail.imap.folder or --folder).",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One problem found by a check, with where it is and what to do, in Vietnamese and English."""

    code: str
    message_vi: str
    message_en: str
    severity: Severity = "error"
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    path: str | None = None
    line: int | None = None
    row: int | None = None
    context: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def where(self) -> str:
        """A short human location: ``file:line › key.path``, ``file › sheet!cell`` or ``file › dòng N``."""
        return self.place()

    def place(self, relative_to: str | None = None) -> str:
        """Like :attr:`where`, leaving out the file when it is ``relative_to``."""
        file = None if relative_to is not None and self.file == relative_to else self.file
        parts: list[str] = []
        if file:
            parts.append(file + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"dòng {self.line}")
        if self.sheet:
            parts.append(f"{self.sheet}!{self.cell}" if self.cell else self.sheet)
        elif self.cell:
            parts.append(self.cell)
        if self.row is not None and not self.cell:
            parts.append(f"dòng {self.row}")
        if self.path:
            parts.append(self.path)
        return " › ".join(parts) if parts else (self.file or "-")

    def sort_key(self) -> tuple[Any, ...]:
        return (self.file or "", self.sheet or "", self.line or 0, self.row or 0, self.cell or "", self.path or "")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("context")
        return data


def problem(
    code: str,
    /,
    *,
    severity: Severity | None = None,
    file: str | None = None,
    sheet: str | None = None,
    cell: str | None = None,
    path: str | None = None,
    line: int | None = None,
    row: int | None = None,
    **context: Any,
) -> Problem:
    """Build a :class:`Problem` from its catalogue entry, filling the templates with ``context``."""
    message = CATALOGUE[code]
    fields = _Fields({"file": file, "sheet": sheet, "cell": cell, "path": path, "line": line, "row": row, **context})
    return Problem(
        code=code,
        message_vi=message.vi.format_map(fields),
        message_en=message.en.format_map(fields),
        severity=severity or message.severity,
        file=file,
        sheet=sheet,
        cell=cell,
        path=path,
        line=line,
        row=row,
        context=context,
    )


class _Fields(dict):  # type: ignore[type-arg]
    """A message's fields: one the call did not supply reads as "?" instead of raising (a message must never
    fail; tests/test_problem_calls.py checks every call supplies its fields)."""

    def __missing__(self, key: str) -> str:
        return "?"


def exception_detail(exc: BaseException) -> str:
    """An exception as a problem's detail: its type and message, at most 200 characters."""
    return f"{type(exc).__name__}: {exc}"[:200]


@dataclass
class Report:
    """The outcome of a check: every problem found, plus counts a caller may show."""

    problems: list[Problem] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def flatten(self, fields: Iterable[str] = ("where", "code", "severity", "message_vi")) -> list[list[Any]]:
        return [[getattr(p, name) for name in fields] for p in self.problems]

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "stats": {**self.stats, "errors": len(self.errors), "warnings": len(self.warnings)},
            "problems": [p.to_dict() for p in self.problems],
        }


class XlkpiError(Exception):
    """The one exception the library raises: it carries the problems that stopped the work."""

    def __init__(self, problems: Problem | Iterable[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("; ".join(f"{p.where}: {p.message_vi}" for p in self.problems))

    @property
    def report(self) -> Report:
        return Report(list(self.problems))
