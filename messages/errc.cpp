#include "messages/errc.hpp"

#include <caf/atom.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace tdd {

std::string to_string(errc x) {
  switch (x) {
  case errc::sqlite_failure:
    return "sqlite_failure";
  case errc::schema_too_new:
    return "schema_too_new";
  case errc::schema_too_old:
    return "schema_too_old";
  case errc::not_found:
    return "not_found";
  case errc::conflict:
    return "conflict";
  case errc::busy:
    return "busy";
  case errc::read_only:
    return "read_only";
  case errc::invalid_argument:
    return "invalid_argument";
  case errc::unauthorized:
    return "unauthorized";
  }
  return "errc(" + std::to_string(static_cast<int>(x)) + ")";
}

namespace {

/// Joins the string elements of an error's context with "; ".
std::string context_text(const caf::message& ctx) {
  std::string result;
  for (size_t i = 0; i < ctx.size(); ++i) {
    if (!ctx.match_element<std::string>(i)) {
      continue;
    }
    if (!result.empty()) {
      result += "; ";
    }
    result += ctx.get_as<std::string>(i);
  }
  return result;
}

std::string code_name(const caf::error& x) {
  if (x.category() == caf::atom("tdd")) {
    return "tdd." + to_string(static_cast<errc>(x.code()));
  }
  if (x.category() == caf::atom("system")) {
    return "system." + caf::to_string(static_cast<caf::sec>(x.code()));
  }
  return caf::to_string(x);
}

} // namespace

std::string describe(const caf::error& x) {
  if (!x) {
    return {};
  }
  if (auto text = context_text(x.context()); !text.empty()) {
    return text;
  }
  return code_name(x);
}

} // namespace tdd
