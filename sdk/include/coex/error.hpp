// The coex error family. Exceptions are used inside a module (core, a plugin); they never cross
// a plugin's C entry point (the factory catches and returns text, the core rethrows PluginError).
//
// Every message says what went wrong, where (file:line, option key, plugin path) and how to fix
// it. The command line maps UserError (and subclasses) to exit code 2, anything else to 1.
#pragma once

#include <stdexcept>
#include <string>

#include "coex/visibility.hpp"

namespace coex {

/// Base of all coex errors.
class COEX_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input from the user: config, option, dataset path, plugin selection. Exit code 2.
class COEX_API UserError : public Error {
 public:
  using Error::Error;
};

/// A config file or option value is wrong. The message names file:line and the key.
class COEX_API ConfigError : public UserError {
 public:
  using UserError::UserError;
};

/// A plugin is missing, broken, or built for another ABI. The message names the plugin path.
class COEX_API PluginError : public UserError {
 public:
  using UserError::UserError;
};

/// A point decodes to no valid network (e.g. the feature map shrinks below 1x1). Recorded as
/// status `invalid` for that candidate; the run goes on.
class COEX_API InvalidCandidate : public Error {
 public:
  using Error::Error;
};

/// Thrown by the evaluator when a controller asks for more after the budget is spent.
class COEX_API BudgetExhausted : public Error {
 public:
  using Error::Error;
};

}  // namespace coex
