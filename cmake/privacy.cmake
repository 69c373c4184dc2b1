# privacy: differential-privacy accounting (src/privacy): RDP of the sampled Gaussian mechanism,
# composition, (epsilon, delta) conversion, noise calibration, zCDP. Core only, no LibTorch.
# The DP synthesizers in medgen_tabular (mst) charge their budgets through it.
medgen_module(privacy)
target_link_libraries(medgen_privacy PUBLIC medgen_core)
target_link_libraries(medgen_tabular PUBLIC medgen_privacy)
list(APPEND MEDGEN_CLI_LIBS medgen_privacy)
medgen_add_tests(privacy medgen_privacy)
medgen_add_cli_test(privacy_audit tests/privacy/cli_audit.sh)
