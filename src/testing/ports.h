// Loopback ports for the test daemons.
#ifndef ARCHER_TESTING_PORTS_H_
#define ARCHER_TESTING_PORTS_H_

#include <string>

namespace archer {
namespace testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_loopback_port();
// True if something accepts connections on 127.0.0.1:`port`.
bool loopback_port_open(int port);

// A connected TCP socket to 127.0.0.1:`port` (-1 on failure); the caller
// closes it.
int connect_loopback(int port);

// Sends `request` as is (any bytes: a hostile client) to 127.0.0.1:`port`
// and returns what came back until the server closed or `timeout_ms` passed.
std::string raw_http(int port, const std::string& request,
                     int timeout_ms = 5000);

// The status code of a raw HTTP answer (0 if none).
int http_status_of(const std::string& answer);

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_PORTS_H_
