// Umbrella header for classic-NAS trials written with LibTorch.
#ifndef ARCHER_NN_H_
#define ARCHER_NN_H_

#include "archer/nn/input_choice.h"
#include "archer/nn/layer_choice.h"
#include "archer/nn/mutable.h"
#include "archer/nn/mutator.h"
#include "archer/nn/runtime.h"
#include "archer/search_space.h"
#include "archer/trial.h"

#endif  // ARCHER_NN_H_
