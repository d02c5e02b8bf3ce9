#include "coex/core/config.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "coex/error.hpp"
#include "coex/options.hpp"

namespace coex::core {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  std::string where(const toml::node* n) const {
    if (n == nullptr) return file_;
    const auto& src = n->source();
    if (src.begin.line == 0) return "--set override";
    return file_ + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
  }

  [[noreturn]] void fail(const toml::node* n, const std::string& msg) const {
    throw ConfigError(where(n) + ": " + msg);
  }

  /// Rejects keys of `t` not in `allowed`, with a did-you-mean.
  void only_keys(const toml::table& t, const std::string& section,
                 const std::vector<std::string>& allowed) const {
    for (const auto& [k, v] : t) {
      const std::string key(k.str());
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string msg = "unknown key '" + key + "'" +
                        (section.empty() ? std::string(" at top level") : " in [" + section + "]") +
                        ".";
      if (auto m = did_you_mean(key, allowed)) msg += " Did you mean '" + *m + "'?";
      msg += " Allowed:";
      for (const auto& a : allowed) msg += " " + a;
      fail(&v, msg);
    }
  }

  const toml::table* table(const toml::table& parent, const std::string& key, bool required,
                           const std::string& section) const {
    const toml::node* n = parent.get(key);
    if (!n) {
      if (required) fail(&parent, "missing section [" + section + "]");
      return nullptr;
    }
    if (!n->is_table()) fail(n, "'" + section + "' must be a table");
    return n->as_table();
  }

  std::string str(const toml::table& t, const std::string& key, const std::string& def,
                  bool required = false) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) fail(&t, "missing key '" + key + "'");
      return def;
    }
    if (!n->is_string()) fail(n, "'" + key + "' must be a string");
    return n->as_string()->get();
  }

  double num(const toml::table& t, const std::string& key, double def, double lo, double hi) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    double v = 0;
    if (n->is_integer())
      v = static_cast<double>(n->as_integer()->get());
    else if (n->is_floating_point())
      v = n->as_floating_point()->get();
    else
      fail(n, "'" + key + "' must be a number");
    if (v < lo || v > hi) {
      std::ostringstream os;
      os << "'" << key << "' = " << v << " is out of range [" << lo << ", " << hi << "]";
      fail(n, os.str());
    }
    return v;
  }

  /// A string that must be one of `choices` (with a did-you-mean).
  std::string one_of(const toml::table& t, const std::string& key, const std::string& def,
                     const std::vector<std::string>& choices) const {
    const std::string v = str(t, key, def);
    if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
    std::string msg = "'" + key + "' = \"" + v + "\" is not one of:";
    for (const auto& c : choices) msg += " " + c;
    if (auto m = did_you_mean(v, choices)) msg += " (did you mean '" + *m + "'?)";
    fail(t.get(key), msg);
  }

  bool boolean(const toml::table& t, const std::string& key, bool def) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (!n->is_boolean()) fail(n, "'" + key + "' must be true or false");
    return n->as_boolean()->get();
  }

  std::vector<std::string> strings(const toml::table& t, const std::string& key) const {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    if (!n->is_array()) fail(n, "'" + key + "' must be an array of strings");
    for (const auto& e : *n->as_array()) {
      if (!e.is_string()) fail(&e, "'" + key + "' must contain strings only");
      out.push_back(e.as_string()->get());
    }
    return out;
  }

  json to_json(const toml::node& n) const {
    if (n.is_table()) {
      json j = json::object();
      for (const auto& [k, v] : *n.as_table()) j[std::string(k.str())] = to_json(v);
      return j;
    }
    if (n.is_array()) {
      json j = json::array();
      for (const auto& v : *n.as_array()) j.push_back(to_json(v));
      return j;
    }
    if (n.is_string()) return n.as_string()->get();
    if (n.is_integer()) return n.as_integer()->get();
    if (n.is_floating_point()) return n.as_floating_point()->get();
    if (n.is_boolean()) return n.as_boolean()->get();
    fail(&n, "dates and times are not supported here");
  }

  PluginSelection selection(const toml::table& root, const std::string& section,
                            const std::vector<std::string>& extra_keys) const {
    const toml::table* t = table(root, section, true, section);
    std::vector<std::string> allowed{"plugin", "options"};
    allowed.insert(allowed.end(), extra_keys.begin(), extra_keys.end());
    only_keys(*t, section, allowed);
    PluginSelection s;
    s.plugin = str(*t, "plugin", "", true);
    s.where = where(t->get("plugin"));
    if (const toml::table* o = table(*t, "options", false, section + ".options")) {
      s.options = to_json(*o);
      for (const auto& [k, v] : *o) {
        const std::string key(k.str());
        s.option_where[key] = where(&v);
        // Entries of table lists ([[...options.key]]) and their fields: "key[i]", "key[i].f".
        if (const toml::array* a = v.as_array())
          for (std::size_t i = 0; i < a->size(); ++i)
            if (const toml::table* e = a->get(i)->as_table()) {
              const std::string entry = key + "[" + std::to_string(i) + "]";
              s.option_where[entry] = where(e);
              for (const auto& [fk, fv] : *e)
                s.option_where[entry + "." + std::string(fk.str())] = where(&fv);
            }
      }
    }
    return s;
  }

 private:
  std::string file_;
};

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

/// A copy of `n` whose nodes carry no source position.
toml::table rebuild_table(const toml::table& t);
toml::array rebuild_array(const toml::array& a);

template <class Sink>
void rebuild_into(const toml::node& n, Sink&& sink) {
  if (n.is_table())
    sink(rebuild_table(*n.as_table()));
  else if (n.is_array())
    sink(rebuild_array(*n.as_array()));
  else if (n.is_string())
    sink(std::string(n.as_string()->get()));
  else if (n.is_integer())
    sink(n.as_integer()->get());
  else if (n.is_floating_point())
    sink(n.as_floating_point()->get());
  else if (n.is_boolean())
    sink(n.as_boolean()->get());
  else
    throw ConfigError("--set: dates and times are not supported");
}

toml::table rebuild_table(const toml::table& t) {
  toml::table out;
  for (const auto& [k, v] : t) {
    const std::string key(
        k.str());  // a structured binding cannot be captured before C++20 in clang 14
    rebuild_into(v, [&](auto&& x) { out.insert(key, std::forward<decltype(x)>(x)); });
  }
  return out;
}

toml::array rebuild_array(const toml::array& a) {
  toml::array out;
  for (const auto& v : a)
    rebuild_into(v, [&](auto&& x) { out.push_back(std::forward<decltype(x)>(x)); });
  return out;
}

void apply_override(toml::table& root, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set '" + text + "': expected key.path=value");
  std::string path = text.substr(0, eq);
  std::string value = text.substr(eq + 1);
  while (!path.empty() && path.back() == ' ') path.pop_back();
  std::vector<std::string> keys;
  std::stringstream ss(path);
  for (std::string k; std::getline(ss, k, '.');) {
    if (k.empty()) throw ConfigError("--set '" + text + "': empty key in path");
    keys.push_back(k);
  }
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", value}};  // a bare word is a string
  }
  toml::table* t = &root;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    toml::node* n = t->get(keys[i]);
    if (!n) {
      t->insert(keys[i], toml::table{});
      n = t->get(keys[i]);
    }
    if (!n->is_table()) throw ConfigError("--set '" + text + "': '" + keys[i] + "' is not a table");
    t = n->as_table();
  }
  // Nodes parsed from the snippet carry its line 1; rebuilt nodes have no source, so messages
  // about them say "--set override".
  rebuild_into(*parsed.get("v"),
               [&](auto&& x) { t->insert_or_assign(keys.back(), std::forward<decltype(x)>(x)); });
}

}  // namespace

std::string PluginSelection::where_of(const std::string& key) const {
  if (key.empty()) return where;
  auto it = option_where.find(key);
  return it == option_where.end() ? where : it->second;
}

Task dataset_task(const std::string& name, const std::string& where) {
  Task t;
  t.dataset = name;
  // Native shape and classes; the default folder (docs/datasets.md says where each comes from).
  struct Known {
    const char* name;
    Shape input;
    int classes;
    const char* dir;
  };
  static const Known known[] = {
      {"fashion_mnist", {1, 28, 28}, 10, "/usr/share/datasets/fashion-mnist"},
      {"mnist", {1, 28, 28}, 10, "data/mnist"},
      {"cifar10", {3, 32, 32}, 10, "data/cifar-10-batches-bin"},
      {"cifar100", {3, 32, 32}, 100, "data/cifar-100-binary"},
      // Classes counted and the shape set (resize) by parse_task, which knows data_dir.
      {"image_folder", {3, 0, 0}, 0, "data/images"},
  };
  for (const auto& k : known)
    if (name == k.name) {
      t.input = k.input;
      t.classes = k.classes;
      t.data_dir = k.dir;
      return t;
    }
  if (name == "none") {
    t.data_dir = "";
    return t;
  }
  const std::vector<std::string> names{"mnist",    "fashion_mnist", "cifar10",
                                       "cifar100", "image_folder",  "none"};
  std::string msg = where + ": unknown dataset '" + name + "'. Known:";
  for (const auto& n : names) msg += " " + n;
  if (auto d = did_you_mean(name, names)) msg += " (did you mean '" + *d + "'?)";
  throw ConfigError(msg);
}

namespace {

/// [task]: dataset, data_dir, resize, input, classes, labels.
void parse_task(const Reader& r, const toml::table& root, RunConfig& c) {
  {
    const toml::table* t = r.table(root, "task", false, "task");
    toml::table empty;
    if (!t) t = &empty;
    r.only_keys(*t, "task", {"dataset", "data_dir", "resize", "input", "classes", "labels"});
    c.task = dataset_task(r.str(*t, "dataset", "fashion_mnist"), r.where(t->get("dataset")));
    c.task.data_dir = r.str(*t, "data_dir", c.task.data_dir);
    const int resize = static_cast<int>(r.num(*t, "resize", 0, 0, 1024));
    if (resize > 0) c.task.input.h = c.task.input.w = resize;
    if (c.task.dataset == "image_folder") {
      // The classes are the subfolders of data_dir/train; images are scaled to resize x resize.
      if (resize == 0)
        r.fail(t,
               "dataset \"image_folder\" needs 'resize' (the side every image is scaled to, "
               "e.g. resize = 32)");
      const std::filesystem::path train = std::filesystem::path(c.task.data_dir) / "train";
      std::error_code ec;
      int classes = 0;
      if (std::filesystem::is_directory(train, ec))
        for (const auto& e : std::filesystem::directory_iterator(train, ec))
          classes += e.is_directory() ? 1 : 0;
      if (classes < 2)
        r.fail(t->get("data_dir") ? t->get("data_dir") : t,
               "dataset \"image_folder\": " + train.string() +
                   (std::filesystem::is_directory(train, ec) ? " has fewer than 2 class subfolders"
                                                             : " is missing") +
                   ". Fix: point data_dir at a folder with train/<class>/ and test/<class>/ "
                   "subfolders of PNG or JPEG images");
      c.task.classes = classes;
    }
    if (const toml::node* in = t->get("input")) {
      if (c.task.dataset != "none")
        r.fail(in, "'input' is only for dataset = \"none\" (use resize)");
      const toml::array* a = in->as_array();
      if (!a || a->size() != 3) r.fail(in, "'input' must be [channels, height, width]");
      std::int64_t v[3];
      for (int i = 0; i < 3; ++i) {
        const auto* x = a->get(static_cast<std::size_t>(i));
        if (!x->is_integer() || x->as_integer()->get() <= 0)
          r.fail(x, "'input' entries must be positive integers");
        v[i] = x->as_integer()->get();
      }
      c.task.input = {v[0], v[1], v[2]};
    }
    if (t->get("classes")) {
      if (c.task.dataset != "none")
        r.fail(t->get("classes"), "'classes' is only for dataset = \"none\"");
      c.task.classes = static_cast<int>(r.num(*t, "classes", 10, 2, 100000));
    }
    if (const toml::node* l = t->get("labels")) {
      const toml::array* a = l->as_array();
      if (!a || a->size() < 2 || a->size() > static_cast<std::size_t>(c.task.classes))
        r.fail(l, "'labels' must be an array of 2 to " + std::to_string(c.task.classes) +
                      " class labels of the dataset, e.g. [3, 6]");
      for (std::size_t i = 0; i < a->size(); ++i) {
        const auto* x = a->get(i);
        if (!x->is_integer() || x->as_integer()->get() < 0 ||
            x->as_integer()->get() >= c.task.classes)
          r.fail(x, "'labels' entries must be integers in [0, " +
                        std::to_string(c.task.classes - 1) + "]");
        const int v = static_cast<int>(x->as_integer()->get());
        if (std::find(c.task.labels.begin(), c.task.labels.end(), v) != c.task.labels.end())
          r.fail(x, "label " + std::to_string(v) + " is listed twice in 'labels'");
        c.task.labels.push_back(v);
      }
      c.task.classes = static_cast<int>(c.task.labels.size());
    }
  }
}

/// [search_space], [hardware] (with mode and redraws), [controller], [estimator].
void parse_plugins(const Reader& r, const toml::table& root, RunConfig& c) {
  c.search_space = r.selection(root, "search_space", {});
  c.hardware = r.selection(root, "hardware", {"mode", "redraws"});
  c.controller = r.selection(root, "controller", {});
  c.estimator = r.selection(root, "estimator", {});
  {
    const toml::table& h = *root.get("hardware")->as_table();
    const std::string mode = r.str(h, "mode", "tuned");
    if (mode == "tuned")
      c.hardware_mode = HardwareMode::kTuned;
    else if (mode == "searched")
      c.hardware_mode = HardwareMode::kSearched;
    else
      r.fail(h.get("mode"),
             "hardware.mode must be \"tuned\" or \"searched\", not \"" + mode + "\"");
    c.hardware_redraws = static_cast<int>(r.num(h, "redraws", 10, 0, 1000));
  }
}

/// [specs]: constraints such as "latency_ms <= 10".
void parse_specs(const Reader& r, const toml::table& root, RunConfig& c) {
  if (const toml::table* s = r.table(root, "specs", false, "specs")) {
    r.only_keys(*s, "specs", {"constraints"});
    if (const toml::node* n = s->get("constraints")) {
      for (const auto& text : r.strings(*s, "constraints")) {
        try {
          c.specs.add(Spec::parse(text));
        } catch (const ConfigError& e) {
          r.fail(n, e.what());
        }
      }
    }
  }
}

/// [reward]: kind, penalty, alpha, accuracy window, hardware terms.
void parse_reward(const Reader& r, const toml::table& root, RunConfig& c) {
  if (const toml::table* t = r.table(root, "reward", false, "reward")) {
    r.only_keys(*t, "reward",
                {"kind", "penalty", "alpha", "accuracy_window", "terms", "compat_jump"});
    const std::string kind = r.str(*t, "kind", "weighted");
    if (kind == "weighted")
      c.reward.kind = RewardConfig::Kind::kWeighted;
    else if (kind == "constrained")
      c.reward.kind = RewardConfig::Kind::kConstrained;
    else
      r.fail(t->get("kind"),
             "reward.kind must be \"weighted\" or \"constrained\", not \"" + kind + "\"");
    c.reward.penalty = r.num(*t, "penalty", -1, -1e9, 1e9);
    c.reward.alpha = r.num(*t, "alpha", 0.7, 0, 1);
    c.reward.compat_jump = r.boolean(*t, "compat_jump", false);
    if (const toml::node* w = t->get("accuracy_window")) {
      const toml::array* a = w->as_array();
      if (!a || a->size() != 2 || !a->get(0)->is_number() || !a->get(1)->is_number())
        r.fail(w, "accuracy_window must be [lo, hi] with accuracies in [0, 1]");
      c.reward.accuracy_lo = a->get(0)->value<double>().value();
      c.reward.accuracy_hi = a->get(1)->value<double>().value();
      if (!(c.reward.accuracy_lo >= 0 && c.reward.accuracy_lo < c.reward.accuracy_hi &&
            c.reward.accuracy_hi <= 1))
        r.fail(w, "accuracy_window must satisfy 0 <= lo < hi <= 1 (accuracy is a fraction)");
    }
    if (const toml::node* terms = t->get("terms")) {
      const toml::array* a = terms->as_array();
      if (!a) r.fail(terms, "reward.terms must be an array of tables ([[reward.terms]])");
      for (const auto& e : *a) {
        const toml::table* et = e.as_table();
        if (!et) r.fail(&e, "each [[reward.terms]] entry must be a table");
        r.only_keys(*et, "reward.terms", {"metric", "bad", "good", "weight"});
        RewardTerm term;
        term.metric = r.str(*et, "metric", "", true);
        term.bad = r.num(*et, "bad", 0, -1e300, 1e300);
        term.good = r.num(*et, "good", 1, -1e300, 1e300);
        term.weight = r.num(*et, "weight", 1, 0, 1e9);
        if (!et->get("bad") || !et->get("good")) r.fail(et, "a reward term needs 'bad' and 'good'");
        if (term.bad == term.good)
          r.fail(et, "reward term '" + term.metric + "': bad and good must differ");
        c.reward.terms.push_back(term);
      }
    }
  }
}

/// [budget]: candidates, trainings, seconds.
void parse_budget(const Reader& r, const toml::table& root, RunConfig& c) {
  if (const toml::table* t = r.table(root, "budget", false, "budget")) {
    r.only_keys(*t, "budget", {"candidates", "trainings", "seconds"});
    c.budget.candidates = static_cast<std::uint64_t>(r.num(*t, "candidates", 0, 0, 1e12));
    c.budget.trainings = static_cast<std::uint64_t>(r.num(*t, "trainings", 0, 0, 1e12));
    c.budget.seconds = r.num(*t, "seconds", 0, 0, 1e9);
  }
  if (c.budget.candidates == 0 && c.budget.trainings == 0 && c.budget.seconds == 0)
    throw ConfigError(c.file.string() + ": no budget: set at least one of [budget] candidates, " +
                      "trainings or seconds");
}

/// [objectives]: hardware metrics of the Pareto front.
void parse_objectives(const Reader& r, const toml::table& root, RunConfig& c) {
  if (const toml::table* t = r.table(root, "objectives", false, "objectives")) {
    r.only_keys(*t, "objectives", {"hardware"});
    c.objectives = r.strings(*t, "hardware");
  }
  if (c.objectives.empty())
    for (const auto& term : c.reward.terms) c.objectives.push_back(term.metric);
}

/// [output]: the run directory and how often the report is refreshed while the run lasts.
void parse_output(const Reader& r, const toml::table& root, RunConfig& c) {
  std::string out = "runs/" + c.name;
  if (const toml::table* t = r.table(root, "output", false, "output")) {
    r.only_keys(*t, "output", {"dir", "report_every"});
    out = r.str(*t, "dir", out);
    if (const toml::node* n = t->get("report_every")) {
      const std::string fix =
          "'report_every' is a number of candidates (e.g. 500), a duration (\"30s\", \"5m\") "
          "or \"off\"";
      ReportEvery e{0, 0};
      if (n->is_integer()) {
        const auto v = n->as_integer()->get();
        if (v < 1) r.fail(n, fix + "; got " + std::to_string(v));
        e.candidates = static_cast<std::uint64_t>(v);
      } else if (n->is_string()) {
        const std::string v = n->as_string()->get();
        if (v != "off") {
          double x = 0;
          char unit = 0;
          int used = 0;
          if (std::sscanf(v.c_str(), "%lf%c%n", &x, &unit, &used) != 2 ||
              used != static_cast<int>(v.size()) || !(x > 0) ||
              (unit != 's' && unit != 'm' && unit != 'h'))
            r.fail(n, fix + "; got \"" + v + "\"");
          e.seconds = x * (unit == 's' ? 1 : unit == 'm' ? 60 : 3600);
        }
      } else {
        r.fail(n, fix);
      }
      c.report_every = e;
    }
  }
  c.output_dir = out;
}

/// [train]: the final training of `coex train`.
void parse_train(const Reader& r, const toml::table& root, RunConfig& c) {
  const toml::table* t = r.table(root, "train", false, "train");
  if (!t) return;
  r.only_keys(*t, "train",
              {"epochs", "batch", "optimizer", "lr", "momentum", "weight_decay", "schedule",
               "train_size", "bn_recalibration_images", "threads", "seed"});
  FinalTraining& f = c.train;
  f.where = r.where(t);
  f.epochs = static_cast<int>(r.num(*t, "epochs", f.epochs, 1, 10000));
  f.batch = static_cast<std::int64_t>(r.num(*t, "batch", static_cast<double>(f.batch), 2, 65536));
  f.optimizer = r.one_of(*t, "optimizer", f.optimizer, {"sgd", "adam"});
  f.lr = r.num(*t, "lr", f.lr, 1e-7, 10);
  f.momentum = r.num(*t, "momentum", f.momentum, 0, 0.999);
  f.weight_decay = r.num(*t, "weight_decay", f.weight_decay, 0, 1);
  f.schedule = r.one_of(*t, "schedule", f.schedule, {"cosine", "constant"});
  f.train_size = static_cast<std::int64_t>(r.num(*t, "train_size", 0, 0, 1e9));
  f.bn_recalibration_images =
      static_cast<std::int64_t>(r.num(*t, "bn_recalibration_images", -1, -1, 1e9));
  f.threads = static_cast<int>(r.num(*t, "threads", f.threads, 0, 256));
  f.seed = static_cast<std::int64_t>(r.num(*t, "seed", -1, -1, 9.0e15));
}

/// What determines the candidate sequence (everything but budget, output and name) as a
/// fingerprint, and the resolved config as TOML text.
void fingerprint(const toml::table& root, RunConfig& c) {
  toml::table fp = root;
  fp.erase("budget");
  fp.erase("output");
  fp.erase("name");
  fp.erase("train");
  std::ostringstream fs_text;
  fs_text << toml::json_formatter(fp);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a(fs_text.str())));
  c.fingerprint = buf;
  std::ostringstream resolved;
  resolved << toml::toml_formatter(root);
  c.resolved_toml = resolved.str();
}

}  // namespace

namespace {

RunConfig parse_root(toml::table root, const fs::path& file,
                     const std::vector<std::string>& overrides);

toml::table parse_toml(const std::string* text, const fs::path& file) {
  try {
    return text ? toml::parse(*text, file.string()) : toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ConfigError(file.string() + ":" + std::to_string(b.line) + ":" +
                      std::to_string(b.column) +
                      ": malformed TOML: " + std::string(e.description()));
  }
}

}  // namespace

RunConfig load_config(const fs::path& file, const std::vector<std::string>& overrides) {
  if (!fs::exists(file))
    throw ConfigError(file.string() + ": config file not found. Fix: check the path (ready " +
                      "configs are in configs/)");
  return parse_root(parse_toml(nullptr, file), file, overrides);
}

RunConfig load_config_text(const std::string& text, const fs::path& origin) {
  return parse_root(parse_toml(&text, origin), origin, {});
}

namespace {

RunConfig parse_root(toml::table root, const fs::path& file,
                     const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) apply_override(root, o);

  Reader r(file.string());
  r.only_keys(root, "",
              {"name", "seed", "plugin_paths", "task", "search_space", "hardware", "controller",
               "estimator", "specs", "reward", "budget", "objectives", "output", "train"});
  RunConfig c;
  c.file = file;
  c.name = r.str(root, "name", file.stem().string());
  c.seed = static_cast<std::uint64_t>(r.num(root, "seed", 0, 0, 9.0e15));
  c.plugin_paths = r.strings(root, "plugin_paths");
  for (auto& p : c.plugin_paths)
    if (fs::path(p).is_relative()) p = (file.parent_path() / p).string();

  parse_task(r, root, c);
  parse_plugins(r, root, c);
  parse_specs(r, root, c);
  parse_reward(r, root, c);
  parse_budget(r, root, c);
  parse_objectives(r, root, c);
  parse_output(r, root, c);
  parse_train(r, root, c);
  fingerprint(root, c);
  return c;
}

}  // namespace

}  // namespace coex::core
