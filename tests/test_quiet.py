"""ganlib.quiet: TensorFlow's C++ log lines are dropped, everything else on stderr reaches the user."""

import os
import re

from ganlib import quiet

# As TensorFlow 2.21 prints it on the first step of the deeper DCGAN (a stride-1 Conv2D → BiasAdd → LeakyReLU).
REMAPPER_LINE = ("E0000 00:00:1795744582.615764    2344 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: "
                 "Mutation::Apply error: fanout 'while/body/_1/gradient_tape/while/dcgan_discriminator_1/"
                 "leaky_re_lu_3_1/LeakyRelu/LeakyReluGrad' exist for missing node "
                 "'while/body/_1/while/dcgan_discriminator_1/conv2d_5_1/BiasAdd'.\n")
# As it prints it on the style generator's first step (LeakyReLU after the noise injection's Add).
STYLE_REMAPPER_LINE = ("E0000 00:00:1795754832.315262    4960 meta_optimizer.cc:967] remapper failed: "
                       "INVALID_ARGUMENT: Mutation::Apply error: fanout 'while/body/_1/gradient_tape/while/style_generator_1/block_14_1/"
                       "LeakyRelu/LeakyReluGrad_1' exist for missing node "
                       "'while/body/_1/while/style_generator_1/block_14_1/noise_1/add'.\n")


def test_filtered_stderr_drops_matching_lines_written_to_the_file_descriptor_and_keeps_the_rest(capfd):
    with quiet.filtered_stderr(re.compile("^drop me")):
        os.write(2, b"drop me: C++ chatter\nkeep me: a real problem\n")
    assert capfd.readouterr().err == "keep me: a real problem\n"


def test_the_train_step_filter_drops_only_the_known_remapper_error(capfd):
    # absl's preamble comes first where the remapper's is the process's first C++ log line (TF 2.20).
    preamble = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    other_error = REMAPPER_LINE.replace("remapper failed", "layout failed")
    with quiet.filtered_stderr(quiet.REMAPPER_LEAKY_RELU):
        os.write(2, (preamble + REMAPPER_LINE + STYLE_REMAPPER_LINE + other_error).encode())
    assert capfd.readouterr().err == other_error


def test_start_up_chatter_is_matched_in_both_log_formats():
    assert quiet.CHATTER.match("E0000 00:00:1795744582.615764    2344 cuda_executor.cc:1228] failed call to cuInit")
    assert quiet.CHATTER.match("2024-01-01 10:00:00.123456: I tensorflow/core/util/port.cc:113] oneDNN custom ops")
    assert not quiet.CHATTER.match("ganlib: error: --epochs: 0 must be at least 1")
