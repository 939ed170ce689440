# xlkpi trên Windows (PowerShell): cài đặt một lần, rồi chạy một đợt báo cáo.
#   powershell -ExecutionPolicy Bypass -File examples\windows\chay-dot-bao-cao.ps1 mo-dot
#       lập đợt, lập tệp nhập liệu, gửi thư cho các đơn vị
#   powershell -ExecutionPolicy Bypass -File examples\windows\chay-dot-bao-cao.ps1 tong-hop
#       nhận thư, kiểm tra, xem tình hình, lập phụ lục tổng hợp (xlsx, pdf)
# Sửa các biến dưới đây cho đợt của cơ quan. Mật khẩu hộp thư: biến môi trường XLKPI_MAIL_PASSWORD, hoặc
# "xlkpi mail password" (lưu vào Windows Credential Manager). Tệp này lưu UTF-8 có BOM để PowerShell 5.1 đọc
# đúng tiếng Việt.
param([ValidateSet("mo-dot", "tong-hop")][string]$Buoc = "mo-dot")
$ErrorActionPreference = "Stop"
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
Set-Location (Join-Path $PSScriptRoot "..\..")

$Round = "dot-quy-3"
$Plan = "lai-chau-2025"
$Period = "2025-Q3"
$Deadline = "20/10/2025"
$Report = "125/BC-UBND"
$Roster = "examples\province-round\don-vi.csv"
$Settings = "examples\province-round\thiet-lap.yaml"
$Xlkpi = ".venv\Scripts\xlkpi.exe"

function Check([string]$What) {
    if ($LASTEXITCODE -ne 0) { throw "Có lỗi ở bước '$What': xem thông báo của xlkpi ở trên." }
}

if (-not (Test-Path $Xlkpi)) {
    py -m venv .venv; Check "tạo môi trường Python"
    & .venv\Scripts\python.exe -m pip install -e .; Check "cài đặt xlkpi"
}

function Mo-Dot {
    & $Xlkpi roster check $Roster --plan $Plan; Check "kiểm tra danh sách đơn vị"
    & $Xlkpi init $Round --plan $Plan --roster $Roster --period $Period --deadline $Deadline --report-number $Report --settings $Settings; Check "lập đợt"
    & $Xlkpi generate --campaign $Round; Check "lập tệp nhập liệu"
    # send: mã 1 khi có đơn vị chưa có địa chỉ thư; các thư khác vẫn được gửi
    & $Xlkpi send --campaign $Round
    Write-Host "Đã gửi. Khi các đơn vị trả lời: chay-dot-bao-cao.ps1 tong-hop"
}

function Tong-Hop {
    & $Xlkpi fetch --campaign $Round; Check "nhận thư"
    # collect, status: mã 1 khi có đơn vị phải nộp lại
    & $Xlkpi collect --campaign $Round
    & $Xlkpi status --campaign $Round
    # duyệt mọi báo cáo không có cảnh báo; xem trước: & $Xlkpi review --campaign $Round
    & $Xlkpi approve --all-clean --campaign $Round; Check "duyệt báo cáo"
    & $Xlkpi consolidate --campaign $Round --pdf; Check "lập phụ lục tổng hợp"
    Write-Host "Phụ lục tổng hợp (xlsx, pdf) trong $Round\reports"
}

if ($Buoc -eq "mo-dot") { Mo-Dot } else { Tong-Hop }
