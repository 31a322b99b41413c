#include "config/yaml_documents.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace tdd::config {

namespace {

/// Notes where each document starts and where the second one's value does.
class document_counter : public YAML::EventHandler {
public:
  yaml_documents docs;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (docs.count > 0 && mark.pos == last_start_.pos) {
      docs.stuck = mark; // the previous document started here too
    }
    last_start_ = mark;
    ++docs.count;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&,
                       YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

private:
  void node(const YAML::Mark& mark) {
    if (docs.count == 2 && !docs.second_root) {
      docs.second_root = mark;
    }
  }

  YAML::Mark last_start_;
};

} // namespace

yaml_documents count_yaml_documents(const std::string& text) {
  std::istringstream in{text};
  YAML::Parser parser{in};
  document_counter counter;
  while (!counter.docs.stuck && parser.HandleNextDocument(counter)) {
  }
  return counter.docs;
}

std::string stuck_message(const std::string& text, const YAML::Mark& mark) {
  const auto at = static_cast<size_t>(mark.pos);
  if (mark.pos >= 0 && at < text.size() && text[at] == ',') {
    return "unexpected \",\" outside [...] or {...}";
  }
  return "cannot read past column " + std::to_string(mark.column + 1);
}

} // namespace tdd::config
