; Inno Setup 6 script: the per-user Windows installer of ispclient.
;
; Build dist\ispclient first (pyinstaller build.spec), then, from the repository root:
;   iscc /DAppVersion=<ispclient.__version__> installer\ispclient.iss
; .github/workflows/windows.yml does exactly this; the version always comes from the package.
;
; Per user, no administrator rights: the program goes to %LOCALAPPDATA%\Programs\ispclient and
; the user's data (database, backups, logs, settings) stays in %LOCALAPPDATA%\ispclient, outside
; the program folder, so upgrades keep it and uninstalling removes it only when asked.

#ifndef AppVersion
  #error Pass the version from the package: iscc /DAppVersion=x.y.z installer\ispclient.iss
#endif

#define AppName "ISP Client"
#define ExeName "ispclient.exe"
#define DataDirName "ispclient"
; Task Scheduler task names are shared by all Windows users of the PC: make ours per user.
#define EnforceTask "ispclient enforce ({username})"

[Setup]
; Never change AppId: it is how an upgrade finds (and replaces) the installed version.
AppId={{B7FB4B50-2A5F-4A36-8DA0-8F3C075CACC4}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=ispclient developers
; Paths below are relative to the repository root.
SourceDir=..
OutputDir=dist\installer
OutputBaseFilename=ispclient-{#AppVersion}-setup
PrivilegesRequired=lowest
DefaultDirName={autopf}\ispclient
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
LicenseFile=LICENSE
SetupIconFile=resources\icons\app.ico
UninstallDisplayIcon={app}\{#ExeName}
UninstallDisplayName={#AppName}
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; An upgrade while the app is open: offer to close it, and reopen it afterwards.
CloseApplications=yes
RestartApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "nightlyenforce"; Description: "Every night at 02:00, run expiry and auto-renew (Windows Task Scheduler)"; GroupDescription: "Automation:"; Flags: unchecked

[InstallDelete]
; Replace the previous version's bundle wholesale so no stale library outlives an upgrade.
; Only the program folder: the user's data is elsewhere.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "dist\ispclient\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#ExeName}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#ExeName}"; Tasks: desktopicon

[Run]
Filename: "{sys}\schtasks.exe"; Parameters: "/Create /F /SC DAILY /ST 02:00 /TN ""{#EnforceTask}"" /TR ""\""{app}\{#ExeName}\"" enforce"""; Flags: runhidden; Tasks: nightlyenforce; StatusMsg: "Scheduling the nightly expiry run..."
Filename: "{sys}\schtasks.exe"; Parameters: "/Delete /F /TN ""{#EnforceTask}"""; Flags: runhidden; Tasks: not nightlyenforce
Filename: "{app}\{#ExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{sys}\schtasks.exe"; Parameters: "/Delete /F /TN ""{#EnforceTask}"""; Flags: runhidden; RunOnceId: "DeleteEnforceTask"

[Code]
// The user's data: platformdirs' %LOCALAPPDATA%\ispclient (see ispclient/paths.py).
function UserDataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\{#DataDirName}');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  DataDir := UserDataDir();
  // Silent uninstalls never delete data; otherwise ask, with "No" as the default answer.
  if UninstallSilent() or not DirExists(DataDir) then
    Exit;
  if MsgBox('Also delete your ISP Client data?' + #13#10#13#10 +
            'This removes the database, backups, logs and settings in' + #13#10 +
            DataDir + #13#10#13#10 +
            'Choose No to keep them (for example to reinstall later).',
            mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
  begin
    if not DelTree(DataDir, True, True, True) then
      MsgBox('Some files in ' + DataDir + ' could not be deleted; remove them by hand.',
             mbError, MB_OK);
  end;
end;
