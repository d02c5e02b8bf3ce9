// State-vector simulation speed (issue 5): gate applications per second at 16 and 20 qubits, for
// single-qubit gates (H on every qubit in turn), controlled gates (CX on neighbouring pairs) and
// multi-controlled Z on 4 qubits, the gates QuantumFlow's circuits are made of. No peer is named
// for this figure; it is reported on its own.
#include <chrono>
#include <cstdio>

#include "statevector.hpp"

int main() {
  using coex::qf::Gate1;
  using coex::qf::StateVector;
  std::printf("%-8s %-22s %12s %14s\n", "qubits", "gate", "gates", "gates/s");
  for (int n : {16, 20}) {
    StateVector sv(n);
    for (int q = 0; q < n; ++q) sv.apply(Gate1::h(), q);  // a dense state
    for (int kind = 0; kind < 3; ++kind) {
      const int reps = n == 16 ? 2000 : 120;
      const auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < reps; ++r) {
        const int q = r % n;
        if (kind == 0) sv.apply(Gate1::h(), q);
        if (kind == 1) sv.apply(Gate1::x(), (q + 1) % n, {q});
        if (kind == 2) sv.apply(Gate1::z(), q, {(q + 1) % n, (q + 2) % n, (q + 3) % n});
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const char* names[] = {"H (1 qubit)", "CX", "C3Z (4 qubits)"};
      std::printf("%-8d %-22s %12d %14.0f\n", n, names[kind], reps, reps / s);
    }
  }
  return 0;
}
