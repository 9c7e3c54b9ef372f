// Command-line entry point of dupipe-testserver: parses the options into a
// Config and hands over to dupipe::testserver::run(), which owns the exit code.
#include <CLI/CLI.hpp>
#include <string>

#include "server.hpp"

int main(int argc, char** argv) {
  using namespace dupipe::testserver;
  Config config;
  CLI::App app{"Loopback HTTP file server with error injection for dupipe's tests.",
               "dupipe-testserver"};
  app.add_option("--root", config.root, "Directory to serve")->required()->type_name("DIR");
  app.add_option("--host", config.host, "Address to listen on")
      ->type_name("ADDR")
      ->capture_default_str();
  app.add_option("--port", config.port, "Port to listen on; 0 picks a free one")
      ->type_name("N")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--port-file", config.port_file,
                 "Once bound, write the port and a newline to FILE (via FILE.tmp + rename)")
      ->type_name("FILE");
  app.add_option("--threads", config.threads, "Worker threads; each serves one connection")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}))
      ->capture_default_str();
  app.add_flag("--quiet", config.quiet, "Don't log each request to stderr");
  app.footer(std::string{usage_notes()});
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // app.exit() prints help or the error; only --help itself is a success.
    return app.exit(error) == 0 ? kExitOk : kExitUsage;
  }
  return run(config);
}
