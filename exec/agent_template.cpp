// The `cmd:` agent template: shell-like word splitting without a shell,
// and placeholders filled inside the words.

#include "exec/agent.hpp"

#include <array>
#include <utility>

namespace tdd::exec {

namespace {
bool is_blank(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n';
}

bool is_operator(char ch) {
  return ch == '|' || ch == '&' || ch == ';' || ch == '<' || ch == '>';
}

// State of `split_words`; each step consumes one token of the template.
class word_splitter {
public:
  explicit word_splitter(std::string_view text) : text_(text) {}

  std::optional<std::vector<std::string>> run(std::string& error) {
    while (pos_ < text_.size()) {
      if (!step(error)) {
        return std::nullopt;
      }
    }
    finish_word();
    return std::move(words_);
  }

private:
  bool step(std::string& error) {
    const char ch = text_[pos_];
    if (is_blank(ch)) {
      finish_word();
      ++pos_;
      return true;
    }
    if (ch == '\'') {
      return single_quoted(error);
    }
    if (ch == '"') {
      return double_quoted(error);
    }
    if (ch == '\\') {
      return escaped(error);
    }
    if (is_operator(ch)) {
      error = std::string{"unquoted '"} + ch
              + "' in the agent template: it runs without a shell; quote it,"
                " or use cmd:/bin/sh -c '...'";
      return false;
    }
    word_ += ch;
    in_word_ = true;
    ++pos_;
    return true;
  }

  bool single_quoted(std::string& error) {
    const auto close = text_.find('\'', pos_ + 1);
    if (close == std::string_view::npos) {
      error = "unbalanced single quote in the agent template";
      return false;
    }
    word_.append(text_.substr(pos_ + 1, close - pos_ - 1));
    in_word_ = true;
    pos_ = close + 1;
    return true;
  }

  bool double_quoted(std::string& error) {
    in_word_ = true;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      const char ch = text_[pos_];
      if (ch == '"') {
        ++pos_;
        return true;
      }
      const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
      if (ch == '\\' && next == '\n') {
        ++pos_; // line continuation: both bytes vanish
      } else if (ch == '\\'
                 && (next == '"' || next == '\\' || next == '$'
                     || next == '`')) {
        word_ += next;
        ++pos_;
      } else {
        word_ += ch;
      }
    }
    error = "unbalanced double quote in the agent template";
    return false;
  }

  bool escaped(std::string& error) {
    if (pos_ + 1 >= text_.size()) {
      error = "the agent template ends with a lone backslash";
      return false;
    }
    if (text_[pos_ + 1] != '\n') { // backslash-newline joins lines
      word_ += text_[pos_ + 1];
      in_word_ = true;
    }
    pos_ += 2;
    return true;
  }

  void finish_word() {
    if (in_word_) {
      words_.push_back(std::move(word_));
      word_.clear();
      in_word_ = false;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string word_;
  bool in_word_ = false; // '' makes an empty word, so track it apart
  std::vector<std::string> words_;
};

} // namespace

std::optional<std::vector<std::string>> split_words(std::string_view text,
                                                    std::string& error) {
  return word_splitter{text}.run(error);
}

std::optional<agent_spec> parse_agent(std::string_view text,
                                      std::string& error) {
  constexpr std::array<std::pair<std::string_view, agent_kind>, 3> presets{{
    {"claude", agent_kind::claude},
    {"codex", agent_kind::codex},
    {"aider", agent_kind::aider},
  }};
  for (const auto& [name, kind] : presets) {
    if (text == name) {
      return agent_spec{kind, {}};
    }
  }
  constexpr std::string_view prefix = "cmd:";
  if (text.substr(0, prefix.size()) != prefix) {
    error = "unknown agent " + core::quote(text)
            + ": expected claude, codex, aider or cmd:<argv template>";
    return std::nullopt;
  }
  auto words = split_words(text.substr(prefix.size()), error);
  if (!words) {
    return std::nullopt;
  }
  if (words->empty()) {
    error = "empty agent template after cmd:";
    return std::nullopt;
  }
  if (words->front().empty()) {
    error = "the agent template names an empty program";
    return std::nullopt;
  }
  return agent_spec{agent_kind::cmd, std::move(*words)};
}

std::string expand_word(std::string_view word, const agent_call& call) {
  const std::array<std::pair<std::string_view, std::string>, 8> values{{
    {"{stage}", call.stage},
    {"{key}", call.task_key},
    {"{attempt}", std::to_string(call.attempt)},
    {"{worktree}", call.worktree},
    {"{prompt_file}", call.prompt_file},
    {"{failure_file}", call.failure_file},
    {"{test_file}", call.test_file},
    {"{impl_file}", call.impl_file},
  }};
  std::string out;
  size_t pos = 0;
  while (pos < word.size()) {
    bool replaced = false;
    for (const auto& [name, value] : values) {
      if (word.substr(pos, name.size()) == name) {
        out += value;
        pos += name.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out += word[pos++];
    }
  }
  return out;
}

} // namespace tdd::exec
