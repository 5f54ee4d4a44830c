/* Festival-format CART decision trees as flat tables (data in
 * phrasing_cart_data.c, generated), and their evaluation over a feature
 * function. Feature values are strings, compared exactly, as festival does. */
#ifndef SS_ENGINE_PHRASING_CART_H
#define SS_ENGINE_PHRASING_CART_H

typedef struct {
    const char *feature; /* NULL for a leaf */
    const char *value;   /* question value, or the leaf's class */
    int yes, no;
} ss_cart_node;

extern const ss_cart_node ss_accent_cart[];
extern const int ss_accent_cart_len;
extern const ss_cart_node ss_tone_cart[];
extern const int ss_tone_cart_len;

/* Walks the tree from node 0; feat(name, ctx) returns the feature's value as
 * a string ("0" when it does not apply). Returns the leaf class. */
const char *ss_cart_predict(const ss_cart_node *tree, int len,
                            const char *(*feat)(const char *name, void *ctx, char *buf, int buflen),
                            void *ctx);

#endif
