// `npm install` runs this first (package.json's preinstall): one line saying why the install may be quiet
// for minutes. It runs before any dependency is installed, so it imports nothing and only prints.
process.stdout.write(
  'otpgate: installing; where no prebuilt better-sqlite3 fits this Node, its native module is compiled from source, which can take several quiet minutes (then `prepare` builds dist/)\n',
);
