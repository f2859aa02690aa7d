/* A bounded work queue on a channel: the code under test. */
#ifndef QUEUE_H
#define QUEUE_H
typedef struct queue queue;
queue *queue_new(int cap);
void queue_put(queue *q, int v);   /* blocks while full */
int queue_take(queue *q);          /* blocks while empty */
void queue_free(queue *q);
#endif
