/* Test fixture shared by unit suites that synthesize labels directly:
 * "hello, hello" as 11 HTS full-context labels for the slt voice, with an
 * interior pause (two phrases when streamed). Header-only, like
 * cpu_lane_ops.h. */
#ifndef SS_TESTS_UNIT_HELLO_LABELS_H
#define SS_TESTS_UNIT_HELLO_LABELS_H

static const char *LABELS[] = {
    "x^x-pau+hh=ax@x_x/A:0_0_0/B:x-x-x@x-x&x-x#x-x$x-x!x-x;x-x|x/C:1+0+2/D:0_0/E:x+x@x+x&x+x#x+x/F:content_2/G:0_0/H:x=x@1=1|0/I:2=1/J:2+1-1",
    "x^pau-hh+ax=l@1_2/A:0_0_0/B:1-0-2@1-2&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+1/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "pau^hh-ax+l=ow@2_1/A:0_0_0/B:1-0-2@1-2&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+1/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "hh^ax-l+ow=pau@1_2/A:1_0_2/B:0-0-1@2-1&2-1#1-0$1-0!1-0;1-0|ow/C:x+x+0/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "ax^l-ow+pau=hh@2_1/A:1_0_2/B:0-0-1@2-1&2-1#1-0$1-0!1-0;1-0|ow/C:x+x+0/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "l^ow-pau+hh=ax@x_x/A:0_0_1/B:x-x-x@x-x&x-x#x-x$x-x!x-x;x-x|x/C:1+0+2/D:content_2/E:x+x@x+x&x+x#x+x/F:content_2/G:0_0/H:x=x@1=1|0/I:2=1/J:2+1-1",
    "ow^pau-hh+ax=l@1_2/A:0_0_0/B:1-0-2@1-2&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+1/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "pau^hh-ax+l=ow@2_1/A:0_0_0/B:1-0-2@1-2&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+1/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "hh^ax-l+ow=pau@1_2/A:1_0_2/B:0-0-1@2-1&2-1#1-0$1-0!1-0;1-0|ow/C:x+x+0/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "ax^l-ow+pau=x@2_1/A:1_0_2/B:0-0-1@2-1&2-1#1-0$1-0!1-0;1-0|ow/C:x+x+0/D:0_0/E:content+2@1+1&0+0#0+1/F:0_0/G:0_0/H:2=1@1=1|L-L%/I:0=0/J:2+1-1",
    "l^ow-pau+x=x@x_x/A:0_0_1/B:x-x-x@x-x&x-x#x-x$x-x!x-x;x-x|x/C:0+0+0/D:content_2/E:x+x@x+x&x+x#x+x/F:0_0/G:2_1/H:x=x@1=1|0/I:0=0/J:2+1-1",
};
#define NLAB (sizeof LABELS / sizeof LABELS[0])

#endif
