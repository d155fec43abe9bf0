"""A 2-8-1 network learns XOR by backpropagation, printing the loss as it falls."""
import chainrule as cr

cr.manual_seed(0)
X = cr.tensor([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
y = cr.tensor([[0.], [1.], [1.], [0.]])

W1 = (cr.randn(2, 8) * 1.0).requires_grad_()
b1 = cr.zeros(8, requires_grad=True)
W2 = (cr.randn(8, 1) * 0.5).requires_grad_()
b2 = cr.zeros(1, requires_grad=True)
params = [W1, b1, W2, b2]

for step in range(2001):
    hidden = cr.tanh(X @ W1 + b1)              # forward pass, layer by layer
    pred = cr.sigmoid(hidden @ W2 + b2)
    loss = ((pred - y) ** 2).mean()            # how wrong are we?
    for p in params:
        p.grad = None
    loss.backward()                            # chain rule: d loss / d every weight
    with cr.no_grad():
        for p in params:
            p -= 2.0 * p.grad                  # gradient descent step
    if step % 200 == 0:
        print(f"step {step:4d}  loss {loss.item():.5f}")

print("predictions:", [round(v, 3) for v in pred.detach().reshape(-1).tolist()])
