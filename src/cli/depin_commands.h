// physis-cli DePIN commands: anchor, device, proof, rewards, epoch, attest, key revoke.
#pragma once

#include <optional>

#include "cli/cli_common.h"

namespace physis::cli {

// Runs `command` if it is a DePIN command; nullopt otherwise.
std::optional<json> run_depin_command(const std::string& command, const std::string& url, const Args& a);
// key revoke --key GOVERNANCE.key --id KEY_ID [--at HEIGHT]
json cmd_key_revoke(const std::string& url, const Args& a);

extern const char* const kDepinUsage;

}  // namespace physis::cli
