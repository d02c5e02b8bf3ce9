// Symbol visibility of the coex shared libraries (libcoex_sdk, libcoex_core, libcoex_torch).
// Plugins are built with hidden visibility; COEX_API marks a declaration the libraries export to
// the executable and to plugins.
#pragma once

#define COEX_API __attribute__((visibility("default")))
