// classArgs helpers shared by the assessors' registry entries (each beside
// its class; assessor/registry.cc lists them).
#ifndef ARCHER_ASSESSOR_ASSESSOR_ARGS_H_
#define ARCHER_ASSESSOR_ASSESSOR_ARGS_H_

#include <string>

#include "archer/assessor.h"

namespace archer {

// Every assessor's optimize_mode (of the intermediate results).
TunerArg assessor_optimize_mode_arg();
// Medianstop's and Curvefitting's start_step (NNI's defaults differ).
TunerArg start_step_arg(int default_value);
// An assessor's registration with its name and doc (kind "assessor").
AssessorSpec assessor_spec_named(const std::string& name,
                                 const std::string& doc);
// The optimize_mode of validated args.
OptimizeMode assessor_mode_of(const Json& args);

}  // namespace archer

#endif  // ARCHER_ASSESSOR_ASSESSOR_ARGS_H_
