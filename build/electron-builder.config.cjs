// electron-builder configuration for Ferry's installers.
//   npm run package                          (all targets of the current OS)
//   npx electron-builder --config build/electron-builder.config.cjs --linux dir   (unpacked, as the test does)
// Real installers (NSIS, DMG/ZIP, AppImage/deb/rpm) are built by .github/workflows/desktop.yml
// on GitHub-hosted runners; see docs/desktop.md for what is verified where.
//
// The app ships only what scripts/build-electron.mjs and the renderer build produce:
// dist/electron (main.cjs, preload.cjs, assets) and dist/renderer. Main and preload are
// bundles, so there are no node_modules in the asar.

/** Fuses flipped in the Electron binary at packaging time (Electron security checklist). */
const electronFuses = {
  runAsNode: false, // ELECTRON_RUN_AS_NODE cannot turn Ferry into a plain Node
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false, // NODE_OPTIONS is ignored
  enableNodeCliInspectArguments: false, // --inspect and friends are ignored
  enableEmbeddedAsarIntegrityValidation: true, // macOS and Windows check app.asar's hash
  onlyLoadAppFromAsar: true,
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false, // we never load file://
};

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'app.ferry.desktop',
  productName: 'Ferry',
  copyright: 'Copyright © Ferry contributors',
  directories: { output: 'release', buildResources: 'build' },
  files: [
    'dist/electron/**/*',
    'dist/renderer/**/*',
    '!**/*.map',
    '!**/*.d.ts',
    // package.json is always added by electron-builder; nothing else from the repo.
  ],
  extraMetadata: { main: 'dist/electron/main.cjs' },
  asar: true,
  compression: 'normal',
  // No native modules in the app (TOOLCHAIN.md): never rebuild anything.
  npmRebuild: false,
  nodeGypRebuild: false,
  buildDependenciesFromSource: false,
  includePdb: false,
  electronFuses,
  protocols: [{ name: 'Ferry link', schemes: ['ferry'] }],
  // The generic feed electron-updater reads; IT's real URL comes from the IT config file at
  // run time (updates.feedUrl, or <serverUrl>/updates/). latest*.yml is written beside the
  // installers for IT to copy onto that feed.
  publish: [{ provider: 'generic', url: 'https://ferry-updates.invalid/updates/' }],

  win: {
    target: [{ target: 'nsis', arch: ['x64', 'arm64'] }],
    icon: 'build/icons/256x256.png',
    // Set CSC_LINK / CSC_KEY_PASSWORD in CI to sign; electron-updater then checks the
    // publisher of a downloaded update against this build's before installing it.
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowElevation: true,
    allowToChangeInstallationDirectory: true,
    createDesktopShortcut: true,
    deleteAppDataOnUninstall: false,
    artifactName: 'Ferry-Setup-${version}-${arch}.${ext}',
  },
  mac: {
    target: [
      { target: 'dmg', arch: ['universal'] },
      { target: 'zip', arch: ['universal'] },
    ],
    icon: 'build/icons/512x512.png',
    category: 'public.app-category.business',
    hardenedRuntime: true,
    gatekeeperAssess: false,
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.plist',
    // Without CSC_LINK the CI build is unsigned (and cannot auto-update on macOS).
  },
  dmg: { artifactName: 'Ferry-${version}-${arch}.${ext}' },
  linux: {
    target: ['AppImage', 'deb', 'rpm'],
    icon: 'build/icons',
    category: 'Network',
    executableName: 'ferry',
    synopsis: 'Self-hosted team messenger that works offline',
    mimeTypes: ['x-scheme-handler/ferry'],
    desktop: {
      entry: {
        Name: 'Ferry',
        Comment: 'Team messenger that works offline',
        Categories: 'Network;InstantMessaging;Chat;',
        StartupWMClass: 'Ferry',
      },
    },
  },
  deb: { packageCategory: 'net', priority: 'optional' },
  rpm: { packageCategory: 'Applications/Internet' },
};

module.exports = config;
