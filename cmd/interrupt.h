// Ctrl-C for the client commands that follow something until it ends (`agor prompt`,
// `agor message list --follow`): the first SIGINT only sets a flag, which the follower polls
// to end cleanly (stop its task, say why, exit 130); a second one exits 130 at once. SIGPIPE is
// ignored, so a closed stdout or socket shows up as EPIPE where it is written.
//
// Thread-safety: call once, from the main thread, before following.
#pragma once

#include <csignal>

namespace agor {

// Installs the handlers; returns the flag the first SIGINT sets.
volatile std::sig_atomic_t& InstallFollowInterrupt();

}  // namespace agor
