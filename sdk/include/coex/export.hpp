// Symbol visibility for the coex shared libraries. Everything is hidden by default;
// COEX_API marks what libcoex_core exports to the executable and to plugins.
#pragma once

#if defined(COEX_BUILDING_CORE)
#define COEX_API __attribute__((visibility("default")))
#else
#define COEX_API __attribute__((visibility("default")))
#endif
