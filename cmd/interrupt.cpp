#include "cmd/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include "cmd/command.h"

namespace agor {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) {
  if (g_interrupted) _exit(kExitInterrupted);
  g_interrupted = 1;
}

}  // namespace

volatile std::sig_atomic_t& InstallFollowInterrupt() {
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return g_interrupted;
}

}  // namespace agor
