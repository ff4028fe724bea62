// Loopback ports for the test daemons.
#ifndef ARCHER_TESTING_PORTS_H_
#define ARCHER_TESTING_PORTS_H_

namespace archer {
namespace testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_loopback_port();
// True if something accepts connections on 127.0.0.1:`port`.
bool loopback_port_open(int port);

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_PORTS_H_
