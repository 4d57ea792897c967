// physis-cli DePIN commands: anchor, device, proof, rewards, epoch, attest, key revoke.
#pragma once

#include <optional>
#include <vector>

#include "cli/cli_common.h"

namespace physis::cli {

// Runs `command` if it is a DePIN command; nullopt otherwise. `a` was parsed for the command's spec.
std::optional<json> run_depin_command(const std::string& command, const std::string& url, const Args& a);
// key revoke --key GOVERNANCE.key --id KEY_ID [--at HEIGHT]
json cmd_key_revoke(const std::string& url, const Args& a);

// The DePIN commands' flags and help, in help order (key revoke included).
const std::vector<CommandSpec>& depin_commands();
// The heading of the DePIN part of the global help.
extern const char* const kDepinUsageHeader;

}  // namespace physis::cli
