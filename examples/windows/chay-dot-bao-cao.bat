@echo off
rem ==========================================================================
rem xlkpi tren Windows (cmd): cai dat mot lan, roi chay mot dot bao cao.
rem   chay-dot-bao-cao.bat mo-dot     lap dot, lap tep nhap lieu, gui thu cho don vi
rem   chay-dot-bao-cao.bat tong-hop   nhan thu, kiem tra, xem tinh hinh, lap phu luc
rem Chay trong thu muc xlkpi da giai nen (tep nay nam o examples\windows).
rem Sua cac bien duoi day cho dot cua co quan. Mat khau hop thu: bien moi truong
rem XLKPI_MAIL_PASSWORD, hoac "xlkpi mail password" (Windows Credential Manager).
rem (Tep nay chi dung chu khong dau: cmd doc tep .bat theo bang ma cua may.)
rem ==========================================================================
setlocal
cd /d "%~dp0..\.."

set ROUND=dot-quy-3
set PLAN=lai-chau-2025
set PERIOD=2025-Q3
set DEADLINE=20/10/2025
set REPORT=125/BC-UBND
set ROSTER=examples\province-round\don-vi.csv
set SETTINGS=examples\province-round\thiet-lap.yaml
set XLKPI=.venv\Scripts\xlkpi.exe

if not exist %XLKPI% (
  py -m venv .venv || goto :loi
  .venv\Scripts\python.exe -m pip install -e . || goto :loi
)
if /i "%~1"=="mo-dot" goto :mo_dot
if /i "%~1"=="tong-hop" goto :tong_hop
echo Cach dung: chay-dot-bao-cao.bat mo-dot ^| tong-hop
exit /b 2

:mo_dot
%XLKPI% roster check %ROSTER% --plan %PLAN% || goto :loi
%XLKPI% init %ROUND% --plan %PLAN% --roster %ROSTER% --period %PERIOD% --deadline %DEADLINE% --report-number %REPORT% --settings %SETTINGS% || goto :loi
%XLKPI% generate --campaign %ROUND% || goto :loi
rem send: ma 1 khi co don vi chua co dia chi thu; cac thu khac van duoc gui
%XLKPI% send --campaign %ROUND%
echo Da gui. Khi cac don vi tra loi: chay-dot-bao-cao.bat tong-hop
exit /b 0

:tong_hop
%XLKPI% fetch --campaign %ROUND% || goto :loi
rem collect, status: ma 1 khi co don vi phai nop lai
%XLKPI% collect --campaign %ROUND%
%XLKPI% status --campaign %ROUND%
rem duyet moi bao cao khong co canh bao; xem truoc: %XLKPI% review --campaign %ROUND%
%XLKPI% approve --all-clean --campaign %ROUND% || goto :loi
%XLKPI% consolidate --campaign %ROUND% --pdf || goto :loi
echo Phu luc tong hop (xlsx, pdf) trong %ROUND%\reports
exit /b 0

:loi
echo Co loi o buoc tren: xem thong bao cua xlkpi.
exit /b 1
